"""Accounts against the emulator: the users table's one condition on every path (the
sign-up trigger, ``make user``'s registration, the backfill), the routes (profile, 404
refusals, DELETE, exports) through Chalice's test client, the exports bucket and the
archive's index and erasure on S3 and DynamoDB."""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime

import boto3
import pytest
from chalice.local import LambdaContext
from chalice.test import Client

from chalicelib.adapters.account_tables import DynamoArchiveIndex, bind_archive_index_model
from chalicelib.adapters.s3_archive import S3ArchiveStore
from chalicelib.adapters.s3_exports import S3ExportStore
from chalicelib.adapters.users_table import DynamoUserStore, bind_user_model
from chalicelib.domain.accounts import Account
from chalicelib.domain.exports import export_request
from chalicelib.domain.posts import iso_millis
from chalicelib.services.archive_erasure import ArchiveEraser
from devstack.stack import PROJECT_DIR
from ops import accounts as ops_accounts
from tests.aws_samples import sqs_record
from tests.chalice_app import load_app

from .kinesis_reading import stream_records
from .users_rows import register

pytestmark = pytest.mark.emulator

STREAM = "yubl-posted-local"


@pytest.fixture(scope="module")
def client(stage_environment) -> Iterator[Client]:
    with Client(load_app(), stage_name="local", project_dir=str(PROJECT_DIR)) as test_client:
        yield test_client


@pytest.fixture
def users(stage_environment) -> DynamoUserStore:
    return DynamoUserStore(bind_user_model(os.environ["USERS_TABLE"]))


def _invoke(client: Client, function: str, event: dict) -> object:
    app = client.lambda_._app
    return app.handler_map[function](event, LambdaContext(function, 256, max_runtime_ms=60_000))


def _json(response) -> dict:
    return json.loads(response.body)


# -- the rows: one condition on every path ------------------------------------------


def test_the_table_inserts_if_absent_keeps_the_first_deletion_and_never_reactivates(users, unique):
    user = f"{unique}-u"
    assert users.register(user, "2026-01-01T00:00:00.000Z") is True
    assert users.register(user, "2026-02-02T00:00:00.000Z") is False
    first = users.mark_deleted(user, "2026-03-03T00:00:00.000Z")
    again = users.mark_deleted(user, "2026-04-04T00:00:00.000Z")
    assert (
        first
        == again
        == Account(user, "2026-01-01T00:00:00.000Z", "deleted", "2026-03-03T00:00:00.000Z")
    )
    assert users.register(user, "2026-05-05T00:00:00.000Z") is False
    assert users.get(user) == first
    assert users.accounts([user, f"{unique}-nobody"], consistent=True) == {user: first}


def test_the_trigger_twice_and_the_backfill_twice_keep_created_at_and_deleted_stays_deleted(
    client, users, unique, user_pool, capsys
):
    cognito = boto3.client("cognito-idp")
    signed_up, admin_made, deleted = (f"{unique}-{n}" for n in ("signup", "admin", "gone"))
    for name in (signed_up, admin_made, deleted):
        cognito.admin_create_user(UserPoolId=user_pool.pool_id, Username=name)
    # the trigger: a confirmed sign-up, then a confirmed password reset
    for source in ("PostConfirmation_ConfirmSignUp", "PostConfirmation_ConfirmForgotPassword"):
        event = {"userName": signed_up, "triggerSource": source, "userPoolId": user_pool.pool_id}
        assert _invoke(client, "post_confirmation", event) == event
    created = users.get(signed_up)
    assert created is not None and created.active
    users.register(deleted, "2025-01-01T00:00:00.000Z")
    users.mark_deleted(deleted, "2025-06-01T00:00:00.000Z")
    gone = users.get(deleted)
    # the backfill, twice
    for _ in range(2):
        assert ops_accounts.main(["backfill", "--stage", "local"]) == 0
    made = cognito.admin_get_user(UserPoolId=user_pool.pool_id, Username=admin_made)
    assert users.get(admin_made) == Account(admin_made, iso_millis(made["UserCreateDate"]))
    assert users.get(signed_up) == created
    assert users.get(deleted) == gone
    summary = capsys.readouterr().out.strip().splitlines()[-1]
    assert summary.startswith("backfill: ") and " 0 rows written" in summary  # the re-run


def test_pre_sign_up_refuses_a_deleted_accounts_id(client, users, unique):
    user = f"{unique}-gone"
    users.register(user, "2025-01-01T00:00:00.000Z")
    event = {"userName": user, "triggerSource": "PreSignUp_SignUp"}
    assert _invoke(client, "pre_sign_up", event) == event
    users.mark_deleted(user, "2025-06-01T00:00:00.000Z")
    with pytest.raises(Exception, match=f"username '{user}' belonged to a deleted account"):
        _invoke(client, "pre_sign_up", event)


# -- the routes -----------------------------------------------------------------------


def test_a_follow_or_mute_of_an_unknown_or_deleted_user_is_404_naming_it_and_writes_nothing(
    client, users, unique, signed_in
):
    me, gone = f"{unique}-me", register(f"{unique}-gone")[0]
    users.mark_deleted(gone, "2026-01-01T00:00:00.000Z")
    before = len(stream_records(STREAM))
    cases = [
        ("put", f"/users/{unique}-nobody/followers/{me}", f"user_id: no user {unique}-nobody"),
        ("put", f"/users/{gone}/followers/{me}", f"user_id: user {gone} deleted their account"),
        ("put", f"/users/{me}/mutes/{unique}-nobody", f"author_id: no user {unique}-nobody"),
        ("put", f"/users/{me}/mutes/{gone}", f"author_id: user {gone} deleted their account"),
    ]
    for method, path, error in cases:
        response = getattr(client.http, method)(path, headers=signed_in(me))
        assert (response.status_code, _json(response)) == (404, {"error": error}), path
    assert _json(client.http.get(f"/users/{gone}/followers"))["followers"] == []
    assert _json(client.http.get(f"/users/{me}/mutes", headers=signed_in(me)))["mutes"] == []
    assert len(stream_records(STREAM)) == before


def test_the_profile_is_public_and_a_deleted_or_unknown_account_is_404(
    client, users, unique, signed_in
):
    star, fan = f"{unique}-star", f"{unique}-fan"
    signed_in(star)
    assert (
        client.http.put(f"/users/{star}/followers/{fan}", headers=signed_in(fan)).status_code == 204
    )
    profile = client.http.get(f"/users/{star}")
    created = users.get(star)
    assert created is not None
    assert (profile.status_code, _json(profile)) == (
        200,
        {"user_id": star, "created_at": created.created_at, "followers": 1},
    )
    users.mark_deleted(star, "2026-01-01T00:00:00.000Z")
    for user in (star, f"{unique}-nobody"):
        response = client.http.get(f"/users/{user}")
        assert (response.status_code, _json(response)) == (
            404,
            {"error": f"user_id: no user {user}"},
        )
    bad = client.http.get("/users/bad%20id")
    assert bad.status_code == 400 and _json(bad)["error"].startswith("user_id: must be 1-64")


def test_delete_disables_and_marks_at_once_announces_and_a_repeat_answers_the_same(
    client, users, unique, signed_in, user_pool
):
    user, stranger = f"{unique}-leaving", f"{unique}-x"
    headers = {**signed_in(user), "x-correlation-id": f"leave-{unique}"}
    refused = client.http.delete(f"/users/{user}", headers=signed_in(stranger))
    assert (refused.status_code, _json(refused)) == (
        403,
        {"error": f"user_id: must be the signed-in user {stranger}"},
    )
    assert users.get(user).active
    response = client.http.delete(f"/users/{user}", headers=headers)
    assert response.status_code == 202
    body = _json(response)
    assert body == {"user_id": user, "deleted_at": users.get(user).deleted_at}
    assert users.get(user).status == "deleted"
    cognito = boto3.client("cognito-idp")
    assert cognito.admin_get_user(UserPoolId=user_pool.pool_id, Username=user)["Enabled"] is False
    [event] = [json.loads(r["Data"]) for r in stream_records(STREAM) if r["PartitionKey"] == user]
    assert {k: v for k, v in event.items() if k != "__context__"} == {
        "type": "user-deleted",
        "user": body,
    }
    assert event["__context__"]["x-correlation-id"] == f"leave-{unique}"
    # THEN the token is refused on every other route, and the DELETE answers the same
    feed = client.http.get(f"/users/{user}/feed", headers=headers)
    assert (feed.status_code, _json(feed)) == (
        401,
        {"error": f"Authorization: the account {user} is deleted"},
    )
    assert feed.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    again = client.http.delete(f"/users/{user}", headers=headers)
    assert (again.status_code, _json(again)) == (202, body)


def test_an_export_is_written_by_its_worker_and_its_url_downloads_what_the_api_shows(
    client, unique, signed_in
):
    user, star = f"{unique}-ann", f"{unique}-star"
    headers = signed_in(user)
    signed_in(star)
    client.http.put(f"/users/{star}/followers/{user}", headers=headers)
    client.http.put(f"/users/{user}/mutes/{star}", headers=headers)
    requested = client.http.post(f"/users/{user}/exports", headers=headers)
    assert requested.status_code == 202
    export_id = _json(requested)["export_id"]
    path = f"/users/{user}/exports/{export_id}"
    pending = client.http.get(path, headers=headers)
    assert _json(pending) == {"status": "pending", "url": None, "expires_at": None}
    # the export worker takes the queued request
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=os.environ["EXPORTS_QUEUE"])["QueueUrl"]
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"])
    [mine] = [m for m in got["Messages"] if json.loads(m["Body"])["export_id"] == export_id]
    assert _invoke(client, "export_account", {"Records": [sqs_record({}, mine["Body"])]}) == {
        "batchItemFailures": []
    }
    ready = _json(client.http.get(path, headers=headers))
    assert ready["status"] == "ready" and ready["expires_at"] > iso_millis(datetime.now(UTC))
    with urllib.request.urlopen(ready["url"], timeout=30) as download:
        lines = [json.loads(line) for line in download.read().decode().splitlines()]
    profile = _json(client.http.get(f"/users/{user}"))
    following = _json(client.http.get(f"/users/{user}/following", headers=headers))["following"]
    mutes = _json(client.http.get(f"/users/{user}/mutes", headers=headers))["mutes"]
    assert lines == [
        {"type": "profile", **profile},
        *({"type": "following", "user_id": u} for u in following),
        *({"type": "mute", "author_id": a} for a in mutes),
    ]
    assert (following, mutes) == ([star], [star])


def test_export_refusals_name_the_field(client, unique, signed_in):
    user = f"{unique}-ann"
    cases = [
        (f"/users/{user}/exports/nope", signed_in(user), 400, "export_id: must be 32 lowercase"),
        (f"/users/{user}/exports/{'0' * 32}", signed_in(user), 404, "export_id: no export"),
        (f"/users/{user}/exports/{'0' * 32}", signed_in(f"{unique}-x"), 403, "user_id: must be"),
    ]
    for path, headers, status, error in cases:
        response = client.http.get(path, headers=headers)
        assert response.status_code == status and _json(response)["error"].startswith(error)
    other = client.http.post(f"/users/{user}/exports", headers=signed_in(f"{unique}-x"))
    assert other.status_code == 403


# -- the buckets and the archive index ------------------------------------------------


def test_the_exports_store_writes_signs_and_deletes_everything_of_a_user(stage_environment, unique):
    store = S3ExportStore(boto3.client("s3"), os.environ["EXPORTS_BUCKET"])
    user = f"{unique}-ann"
    first, second = (export_request(user, datetime.now(UTC)) for _ in range(2))
    store.put_request(first)
    store.put_request(second)
    assert store.write(user, first.export_id, (f'{{"n": {n}}}' for n in range(3))) == 3
    assert (store.state(user, first.export_id), store.state(user, second.export_id)) == (
        "ready",
        "pending",
    )
    with urllib.request.urlopen(store.url(user, first.export_id, 60), timeout=30) as download:
        assert download.read() == b'{"n": 0}\n{"n": 1}\n{"n": 2}\n'
    assert store.delete_all(user) == 3
    assert store.state(user, first.export_id) is None


def test_erasure_rewrites_the_indexed_s3_objects_without_the_users_lines(stage_environment, unique):
    s3 = S3ArchiveStore(boto3.client("s3"), os.environ["ARCHIVE_BUCKET"])
    index = DynamoArchiveIndex(bind_archive_index_model(os.environ["ARCHIVE_INDEX_TABLE"]))
    ann, bob = f"{unique}-ann", f"{unique}-bob"
    line = lambda author: json.dumps({"yubl": {"author_id": author}})  # noqa: E731
    keys = [f"events/yubl-posted/2026/11/23/{unique}-{n}.ndjson" for n in range(2)]
    index.add([(ann, keys[0]), (bob, keys[0]), (ann, keys[1])])
    s3.put_object(keys[0], [line(ann), line(bob)])
    s3.put_object(keys[1], [line(ann)])
    assert ArchiveEraser(s3, index).erase(ann) == 2
    assert s3.get_lines(keys[0]) == [line(bob)]
    assert s3.get_lines(keys[1]) is None
    assert (index.keys(ann), index.keys(bob)) == ([], [keys[0]])
