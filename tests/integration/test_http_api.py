"""The HTTP API through Chalice's test client, backed by the emulator."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import pytest
from chalice.test import Client

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


def _records_for(author: str) -> list[dict]:
    return [r for r in stream_records("yubl-posted-local") if r["PartitionKey"] == author]


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
def test_bad_post_is_400_naming_the_field_and_publishes_nothing(
    client, unique, signed_in, body, error
):
    if isinstance(body, dict) and body.get("author_id") == "ok":
        body = {**body, "author_id": f"{unique}-ok"}
    response = _post(client, "/yubls", body, headers=signed_in(f"{unique}-ok"))
    assert (response.status_code, _json(response)) == (400, {"error": error})
    assert _records_for(f"{unique}-ok") == []


def test_follow_unfollow_and_list_followers_with_paging(client, unique, signed_in):
    user = f"{unique}-star"
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


def test_bad_follow_is_400_and_stores_nothing(client, unique, signed_in):
    user = f"{unique}-u"
    response = client.http.put(f"/users/{user}/followers/{user}", headers=signed_in(user))
    assert (response.status_code, _json(response)) == (
        400,
        {"error": "follower_id: a user cannot follow themselves"},
    )
    response = client.http.put(f"/users/{'x' * 65}/followers/{user}", headers=signed_in(user))
    assert response.status_code == 400
    assert _json(client.http.get(f"/users/{user}/followers"))["followers"] == []


def test_feed_of_a_user_with_nothing_is_empty(client, unique, signed_in):
    response = client.http.get(
        f"/users/{unique}-nobody/feed", headers=signed_in(f"{unique}-nobody")
    )
    assert (response.status_code, _json(response)) == (200, {"items": [], "next_cursor": None})
