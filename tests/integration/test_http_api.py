"""The HTTP API through Chalice's test client, backed by the emulator."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from boto3.dynamodb.conditions import Key
from botocore.config import Config
from chalice.test import Client

from chalicelib import wiring
from chalicelib.adapters.dynamodb_models import bind_post_model
from chalicelib.adapters.dynamodb_stores import DynamoPostStore
from chalicelib.adapters.kinesis_publisher import KinesisEventPublisher
from chalicelib.domain.posts import new_yubl, yubl_posted_event
from chalicelib.domain.routing import event_id
from chalicelib.services.posting import PostingService
from devstack.emulator import free_port
from devstack.stack import PROJECT_DIR
from tests.chalice_app import load_app

from .kinesis_reading import stream_records

pytestmark = pytest.mark.emulator


@pytest.fixture(scope="module")
def client(stage_environment) -> Iterator[Client]:
    with Client(load_app(), stage_name="local", project_dir=str(PROJECT_DIR)) as test_client:
        yield test_client


def _json(response) -> dict:
    return json.loads(response.body)


def _post(client: Client, path: str, body: object, headers: dict | None = None) -> object:
    raw = body if isinstance(body, str) else json.dumps(body)
    headers = {"Content-Type": "application/json", **(headers or {})}
    return client.http.post(path, headers=headers, body=raw)


STREAM = "yubl-posted-local"


def _records_for(author: str) -> list[dict]:
    return [r for r in stream_records(STREAM) if r["PartitionKey"] == author]


def _sequence_numbers() -> list[str]:
    """Every record on the whole stream, whoever wrote it."""
    return [record["SequenceNumber"] for record in stream_records(STREAM)]


def test_health(client):
    response = client.http.get("/health")
    assert (response.status_code, _json(response)) == (200, {"status": "ok"})


def test_post_yubl_publishes_one_event_keyed_by_author_with_correlation_ids(
    client, unique, signed_in
):
    author = f"{unique}-author"
    response = _post(
        client,
        "/yubls",
        {"author_id": author, "text": "hello"},
        headers={
            **signed_in(author),
            "x-correlation-id": f"corr-{unique}",
            "x-correlation-user-agent": "curl",
            "debug-log-enabled": "false",
        },
    )
    assert response.status_code == 202
    assert response.headers["x-correlation-id"] == f"corr-{unique}"
    body = _json(response)
    assert sorted(body) == ["posted_at", "yubl_id"]
    [record] = _records_for(author)
    assert json.loads(record["Data"]) == {
        "__context__": {
            "x-correlation-id": f"corr-{unique}",
            "x-correlation-user-agent": "curl",
            "call-chain-length": "1",
            "debug-log-enabled": "false",
        },
        "type": "yubl-posted",
        "yubl": {
            "yubl_id": body["yubl_id"],
            "author_id": author,
            "text": "hello",
            "posted_at": body["posted_at"],
        },
    }


def test_post_without_author_id_is_by_the_signed_in_user(client, unique, signed_in):
    author = f"{unique}-author"
    response = _post(client, "/yubls", {"text": "hi"}, headers=signed_in(author))
    assert response.status_code == 202
    [record] = _records_for(author)
    assert json.loads(record["Data"])["yubl"]["author_id"] == author


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"text": 5}, "text: must be a string"),
        ({"author_id": "ok", "text": ""}, "text: must be 1-2000 characters"),
        ({"author_id": "ok", "text": "x" * 2001}, "text: must be 1-2000 characters"),
        ({"author_id": "ok", "text": "hi", "extra": 1}, "extra: is not a known field"),
        ("[1, 2]", "body: must be a JSON object"),
        ("{not json", "body: must be valid JSON"),
    ],
)
def test_bad_post_is_400_naming_the_field_and_writes_nothing(
    client, unique, signed_in, written, body, error
):
    if isinstance(body, dict) and body.get("author_id") == "ok":
        body = {**body, "author_id": f"{unique}-ok"}
    headers = signed_in(f"{unique}-ok")
    before = written.snapshot()
    response = _post(client, "/yubls", body, headers=headers)
    assert (response.status_code, _json(response)) == (400, {"error": error})
    # nothing new on the stream under any author, nor in any table, queue or bucket
    assert written.changed(before) == []


def test_follow_unfollow_and_list_followers_with_paging(client, unique, signed_in, account):
    user = account(f"{unique}-star")
    for follower in ["f3", "f1", "f2"]:
        response = client.http.put(
            f"/users/{user}/followers/{follower}", headers=signed_in(follower)
        )
        assert response.status_code == 204
    again = client.http.put(f"/users/{user}/followers/f1", headers=signed_in("f1"))
    assert again.status_code == 204  # idempotent
    first = client.http.get(f"/users/{user}/followers?limit=2")
    assert first.status_code == 200
    cursor = _json(first)["next_cursor"]
    assert _json(first)["followers"] == ["f1", "f2"]
    second = _json(client.http.get(f"/users/{user}/followers?limit=2&cursor={cursor}"))
    assert second == {"followers": ["f3"], "next_cursor": None}
    gone = client.http.delete(f"/users/{user}/followers/f2", headers=signed_in("f2"))
    assert gone.status_code == 204
    assert _json(client.http.get(f"/users/{user}/followers")) == {
        "followers": ["f1", "f3"],
        "next_cursor": None,
    }


@pytest.mark.parametrize(
    ("path", "error"),
    [
        ("/users/{u}/followers?limit=0", "limit: must be an integer from 1 to 1000"),
        ("/users/{u}/followers?limit=1001", "limit: must be an integer from 1 to 1000"),
        ("/users/{u}/followers?cursor=nope", "cursor: is not a cursor this API returned"),
        ("/users/{u}/feed?limit=x", "limit: must be an integer from 1 to 1000"),
        (
            "/users/{u}/feed?cursor=" + base64.urlsafe_b64encode(b'{"after": 3}').decode(),
            "cursor: is not a cursor this API returned",
        ),
    ],
)
def test_bad_query_parameters_are_400(client, unique, signed_in, path, error):
    response = client.http.get(path.format(u=unique), headers=signed_in(unique))
    assert (response.status_code, _json(response)) == (400, {"error": error})


def test_bad_follow_is_400_and_writes_nothing(client, unique, signed_in, written):
    user = f"{unique}-u"
    headers = signed_in(user)
    before = written.snapshot()
    response = client.http.put(f"/users/{user}/followers/{user}", headers=headers)
    assert (response.status_code, _json(response)) == (
        400,
        {"error": "follower_id: a user cannot follow themselves"},
    )
    response = client.http.put(f"/users/{'x' * 65}/followers/{user}", headers=headers)
    assert response.status_code == 400
    assert written.changed(before) == []


def test_feed_of_a_user_with_nothing_is_empty(client, unique, signed_in):
    response = client.http.get(
        f"/users/{unique}-nobody/feed", headers=signed_in(f"{unique}-nobody")
    )
    assert (response.status_code, _json(response)) == (200, {"items": [], "next_cursor": None})


def test_the_writes_nothing_check_sees_a_post_under_any_author(client, unique, signed_in, written):
    # GIVEN everything as it is, and a valid post (the checks above must be able to fail)
    author = f"{unique}-other"
    headers = signed_in(author)
    before = written.snapshot()
    stream = _sequence_numbers()
    # WHEN a post is accepted
    response = _post(client, "/yubls", {"author_id": author, "text": "hi"}, headers)
    # THEN the check names the stream, and the stream holds exactly one new record
    assert response.status_code == 202
    assert written.changed(before) == ["stream:yubl-posted-local"]
    after = _sequence_numbers()
    assert after[: len(stream)] == stream
    assert len(after) == len(stream) + 1


FORM = "application/x-www-form-urlencoded"  # what `curl -d` sends without -H


@pytest.mark.parametrize(
    ("method", "path", "headers", "body", "status", "error"),
    [
        (
            "POST",
            "/yubls",
            {"Content-Type": FORM},
            "author_id=a&text=hi",
            415,
            "Content-Type: application/x-www-form-urlencoded is not accepted;"
            " send application/json",
        ),
        (
            "GET",
            "/yubls",
            {},
            None,
            405,
            "method: GET is not allowed on /yubls (allowed: POST, OPTIONS)",
        ),
        (
            "DELETE",
            "/health",
            {},
            None,
            405,
            "method: DELETE is not allowed on /health (allowed: GET, OPTIONS)",
        ),
        ("GET", "/nowhere/at/all", {}, None, 404, "path: no route for GET /nowhere/at/all"),
        ("POST", "/users/u/feed/x", {}, None, 404, "path: no route for POST /users/u/feed/x"),
    ],
)
def test_framework_errors_are_one_json_error_body(
    client, signed_in, unique, written, method, path, headers, body, status, error
):
    # signed in, so that sign-in (checked first on user routes) is not what refuses it
    headers = {**signed_in(f"{unique}-a"), **headers}
    before = written.snapshot()
    response = client.http.request(method, path, headers=headers, body=body)
    assert (response.status_code, _json(response)) == (status, {"error": error})
    assert response.headers["Content-Type"] == "application/json"
    assert written.changed(before) == []


def _posting_to(kinesis_client, stream: str) -> PostingService:
    return PostingService(
        KinesisEventPublisher(kinesis_client, stream),
        DynamoPostStore(bind_post_model(os.environ["POSTS_TABLE"])),
        clock=lambda: datetime.now(UTC),
    )


def test_a_post_to_a_deleted_stream_is_503_with_retry_after(client, unique, monkeypatch, signed_in):
    # GIVEN the posts API writing to a stream that has been deleted from the emulator
    kinesis = boto3.client("kinesis")
    gone = f"yubl-posted-gone-{unique}"
    kinesis.create_stream(StreamName=gone, ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(StreamName=gone)
    kinesis.delete_stream(StreamName=gone)
    monkeypatch.setattr(wiring, "posting_service", lambda: _posting_to(kinesis, gone))
    # WHEN a valid post arrives
    author = f"{unique}-a"
    response = _post(client, "/yubls", {"author_id": author, "text": "hi"}, signed_in(author))
    # THEN it is 503, with when to try again, in the API's one error shape
    assert (response.status_code, response.headers["Retry-After"], _json(response)) == (
        503,
        "5",
        {"error": "service unavailable, retry after 5 s"},
    )


def test_a_post_while_the_stream_endpoint_refuses_connections_is_503(
    client, unique, monkeypatch, signed_in, written
):
    # GIVEN the posts API pointed at a port where nothing listens
    refused = boto3.client(
        "kinesis",
        endpoint_url=f"http://127.0.0.1:{free_port()}",
        config=Config(retries={"max_attempts": 1}, connect_timeout=2),
    )
    monkeypatch.setattr(wiring, "posting_service", lambda: _posting_to(refused, STREAM))
    author = f"{unique}-a"
    headers = signed_in(author)
    before = written.snapshot()
    # WHEN a valid post arrives
    response = _post(client, "/yubls", {"author_id": author, "text": "hi"}, headers)
    # THEN it is 503 with Retry-After, never a 500, and nothing reached the stream
    assert (response.status_code, response.headers["Retry-After"], _json(response)) == (
        503,
        "5",
        {"error": "service unavailable, retry after 5 s"},
    )
    assert written.changed(before) == []


# -- GET /users/{user_id}/notifications: the feed's paging contract and errors --------


def test_notifications_are_paged_newest_first_and_a_replay_adds_none(client, unique, signed_in):
    user = f"{unique}-bob"
    now = datetime.now(UTC)
    yubls = [
        new_yubl(f"{unique}-a{i}", f"hey @{user} #{i}", now=now - timedelta(seconds=3 - i))
        for i in range(3)
    ]
    bob = signed_in(user)  # a user of the pool: only those get notifications
    service = wiring.notification_service()
    posts = DynamoPostStore(bind_post_model(os.environ["POSTS_TABLE"]))
    for yubl in yubls:  # stored as the dispatcher does before it publishes
        posts.put(yubl)
    for yubl in [*yubls, yubls[0]]:  # the first delivered twice
        service.notify({**yubl_posted_event(yubl), "event_id": event_id("yubl-posted", yubl)})
    first = client.http.get(f"/users/{user}/notifications?limit=2", headers=bob)
    assert first.status_code == 200
    body = _json(first)
    assert body["items"] == [yubls[2].to_wire(), yubls[1].to_wire()]
    second = _json(
        client.http.get(f"/users/{user}/notifications?cursor={body['next_cursor']}", headers=bob)
    )
    assert second == {"items": [yubls[0].to_wire()], "next_cursor": None}


@pytest.mark.parametrize(
    ("path", "error"),
    [
        ("/users/{u}/notifications?limit=0", "limit: must be an integer from 1 to 1000"),
        ("/users/{u}/notifications?cursor=nope", "cursor: is not a cursor this API returned"),
    ],
)
def test_bad_notification_requests_are_400(client, unique, signed_in, path, error):
    response = client.http.get(path.format(u=unique), headers=signed_in(unique))
    assert (response.status_code, json.loads(response.body)) == (400, {"error": error})


def test_notifications_of_an_id_no_user_can_have_are_refused_to_every_user(
    client, unique, signed_in
):
    # a path id outside the id format can never be the signed-in user's own
    response = client.http.get("/users/bad%20id/notifications", headers=signed_in(unique))
    assert response.status_code == 403
    assert _json(response) == {"error": f"user_id: must be the signed-in user {unique}"}


def test_a_user_with_no_notifications_gets_an_empty_page(client, unique, signed_in):
    nobody = f"{unique}-nobody"
    response = client.http.get(f"/users/{nobody}/notifications", headers=signed_in(nobody))
    assert (response.status_code, _json(response)) == (200, {"items": [], "next_cursor": None})


# -- DELETE /users/{user_id}/yubls/{yubl_id}: a yubl-deleted event, keyed by author ------


def test_delete_yubl_publishes_one_event_keyed_by_author(client, unique, signed_in):
    author = f"{unique}-author"
    yubl_id = "1767225600000-0123456789ab"
    response = client.http.delete(
        f"/users/{author}/yubls/{yubl_id}",
        headers={"x-correlation-id": f"corr-{unique}", **signed_in(author)},
    )
    assert response.status_code == 202
    body = _json(response)
    assert sorted(body) == ["deleted_at", "yubl_id"]
    [record] = _records_for(author)
    event = json.loads(record["Data"])
    assert (event["type"], event["yubl"]) == (
        "yubl-deleted",
        {"yubl_id": yubl_id, "author_id": author, "deleted_at": body["deleted_at"]},
    )
    assert event["__context__"]["x-correlation-id"] == f"corr-{unique}"


@pytest.mark.parametrize(
    ("path", "error"),
    [
        ("/users/{u}/yubls/42", "yubl_id: must be 13 digits, '-' and 12 lowercase hex digits"),
        ("/users/{u}/yubls/1767225600000-0123456789AB", "yubl_id: must be 13 digits"),
    ],
)
def test_bad_delete_is_400_naming_the_field_and_writes_nothing(
    client, unique, signed_in, written, path, error
):
    author = f"{unique}-a"
    headers = signed_in(author)
    before = written.snapshot()
    response = client.http.delete(path.replace("{u}", author), headers=headers)
    assert response.status_code == 400
    assert _json(response)["error"].startswith(error)
    assert written.changed(before) == []


# -- GET /users/{user_id}/yubls: own posts, newest first, deleted ones left out ----------


def test_own_posts_are_paged_newest_first_without_the_deleted(client, unique):
    author = f"{unique}-poster"
    posts = DynamoPostStore(bind_post_model(os.environ["POSTS_TABLE"]))
    now = datetime.now(UTC)
    yubls = [new_yubl(author, f"#{i}", now=now - timedelta(seconds=9 - i)) for i in range(6)]
    for yubl in yubls:
        posts.put(yubl)
    for gone in (yubls[5], yubls[4], yubls[2]):  # the two newest and one in between
        posts.tombstone(author, gone.yubl_id, gone.posted_at)
    first = _json(client.http.get(f"/users/{author}/yubls?limit=2"))
    assert first["items"] == [yubls[3].to_wire(), yubls[1].to_wire()]
    second = _json(client.http.get(f"/users/{author}/yubls?limit=2&cursor={first['next_cursor']}"))
    assert second == {"items": [yubls[0].to_wire()], "next_cursor": None}


@pytest.mark.parametrize(
    ("path", "error"),
    [
        ("/users/{u}/yubls?limit=0", "limit: must be an integer from 1 to 1000"),
        ("/users/{u}/yubls?cursor=nope", "cursor: is not a cursor this API returned"),
        ("/users/bad%20id/yubls", "user_id: must be 1-64 characters of A-Z, a-z, 0-9, '_' or '-'"),
    ],
)
def test_bad_own_posts_requests_are_400(client, unique, path, error):
    response = client.http.get(path.replace("{u}", f"{unique}-a"))
    assert (response.status_code, _json(response)) == (400, {"error": error})


# -- GET /users/{user_id}/following: whom a user follows --------------------------------


def test_following_lists_whom_a_user_follows_with_paging(client, unique, signed_in, account):
    fan, other = f"{unique}-fan", f"{unique}-other"
    stars = [account(f"{unique}-s{i}") for i in range(3)]
    for star in [*stars, account(f"{unique}-s9")]:
        follow = client.http.put(f"/users/{star}/followers/{fan}", headers=signed_in(fan))
        assert follow.status_code == 204
    unfollow = client.http.delete(f"/users/{unique}-s9/followers/{fan}", headers=signed_in(fan))
    assert unfollow.status_code == 204
    client.http.put(f"/users/{stars[0]}/followers/{other}", headers=signed_in(other))
    first = _json(client.http.get(f"/users/{fan}/following?limit=2", headers=signed_in(fan)))
    assert first["following"] == stars[:2]
    second = _json(
        client.http.get(
            f"/users/{fan}/following?limit=2&cursor={first['next_cursor']}", headers=signed_in(fan)
        )
    )
    assert second == {"following": stars[2:], "next_cursor": None}


@pytest.mark.parametrize(
    ("path", "error"),
    [
        ("/users/{u}/following?limit=1001", "limit: must be an integer from 1 to 1000"),
        ("/users/{u}/following?cursor=nope", "cursor: is not a cursor this API returned"),
    ],
)
def test_bad_following_requests_are_400(client, unique, signed_in, path, error):
    response = client.http.get(path.replace("{u}", f"{unique}-a"), headers=signed_in(f"{unique}-a"))
    assert (response.status_code, _json(response)) == (400, {"error": error})


def test_only_mentioned_users_of_the_pool_are_notified(client, unique, signed_in):
    # GIVEN a yubl mentioning a user of the pool and an id nobody signed up with
    member, stranger = f"{unique}-member", f"{unique}-stranger"
    member_token = signed_in(member)
    yubl = new_yubl(f"{unique}-a", f"hi @{member} and @{stranger}", now=datetime.now(UTC))
    DynamoPostStore(bind_post_model(os.environ["POSTS_TABLE"])).put(yubl)  # as the dispatcher
    # WHEN the notifications group handles it
    wiring.notification_service().notify(
        {**yubl_posted_event(yubl), "event_id": event_id("yubl-posted", yubl)}
    )
    # THEN the member has it, and the id of nobody got nothing stored
    page = client.http.get(f"/users/{member}/notifications", headers=member_token)
    assert _json(page) == {"items": [yubl.to_wire()], "next_cursor": None}
    table = boto3.resource("dynamodb").Table("notifications-local")
    assert table.query(KeyConditionExpression=Key("user_id").eq(stranger))["Items"] == []
