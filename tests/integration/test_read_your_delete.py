"""Read-your-delete against the emulator, through the HTTP API: once
``DELETE /users/{id}/yubls/{yubl}`` has answered 202, and before the dispatcher has read
the delete (nothing here reads the stream), no read path serves the post: a follower's
feed, the notifications of a user it mentions, the author's yubls, a feed that merges a
celebrity's pulled post, the rebuild of an inactive reader's feed. The rows are put
where the dispatcher and workers would put them; the reads are the app's own.

The emulator answers every read consistently; DynamoDB does so only when asked, so the
posts-table reads of these paths are checked to ask (``ConsistentRead``) on the wire.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from fnmatch import fnmatchcase
from typing import Any

import boto3
import pytest
from chalice.test import Client

from chalicelib import wiring
from chalicelib.adapters.celebrity_models import bind_author_model, bind_pulled_post_model
from chalicelib.adapters.celebrity_stores import DynamoAuthorIndex, DynamoPulledPosts
from chalicelib.adapters.dynamodb_models import bind_feed_model, bind_post_model
from chalicelib.adapters.dynamodb_stores import DynamoFeedStore, DynamoPostStore
from chalicelib.domain.feed import entries_for
from chalicelib.domain.posts import Yubl, new_yubl
from devstack.stack import PROJECT_DIR

pytestmark = pytest.mark.emulator

CONFIG = json.loads((PROJECT_DIR / ".chalice" / "config.json").read_text())


@pytest.fixture
def posts(stage_environment) -> DynamoPostStore:
    return DynamoPostStore(bind_post_model(os.environ["POSTS_TABLE"]))


def _stored(posts: DynamoPostStore, author: str, text: str, readers: list[str]) -> Yubl:
    """A post as the dispatcher stores it, in ``readers``' feeds as the workers write it."""
    yubl = new_yubl(author, text, now=datetime.now(UTC) - timedelta(minutes=1))
    assert posts.put(yubl)
    if readers:
        DynamoFeedStore(bind_feed_model(os.environ["FEEDS_TABLE"])).put_entries(
            entries_for(yubl, readers)
        )
    return yubl


def _ids(client: Client, path: str, headers: dict[str, str]) -> list[str]:
    response = client.http.get(path, headers=headers)
    assert response.status_code == 200, response.body
    return [item["yubl_id"] for item in json.loads(response.body)["items"]]


def _delete(client: Client, yubl: Yubl, headers: dict[str, str]) -> dict[str, Any]:
    response = client.http.delete(f"/users/{yubl.author_id}/yubls/{yubl.yubl_id}", headers=headers)
    assert response.status_code == 202, response.body
    return dict(json.loads(response.body))


@contextmanager
def _posts_table_reads() -> Iterator[list[tuple[str, Any]]]:
    """Each read the app's posts store sends inside the block: (operation, ConsistentRead)."""
    reads: list[tuple[str, Any]] = []

    def seen(model, params, **_):
        if model.name == "BatchGetItem":
            reads.extend(
                (model.name, r.get("ConsistentRead")) for r in params["RequestItems"].values()
            )
        elif model.name in {"GetItem", "Query", "Scan"}:
            reads.append((model.name, params.get("ConsistentRead")))

    client = wiring._post_store()._model._get_connection().connection.client
    client.meta.events.register("before-parameter-build.dynamodb.*", seen)
    try:
        yield reads
    finally:
        client.meta.events.unregister("before-parameter-build.dynamodb.*", seen)


def test_feed_notifications_and_the_authors_yubls_skip_the_post_from_the_202_on(
    app_client, posts, unique, signed_in
):
    # GIVEN a post in a follower's feed and in the notifications of a user it mentions
    author, follower, named = f"{unique}-a", f"{unique}-f", f"{unique}-m"
    yubl = _stored(posts, author, f"soon gone, @{named}", [follower])
    DynamoFeedStore(bind_feed_model(os.environ["NOTIFICATIONS_TABLE"])).put_entries(
        entries_for(yubl, [named])
    )
    paths = {
        follower: f"/users/{follower}/feed",
        named: f"/users/{named}/notifications",
        author: f"/users/{author}/yubls",
    }
    shown = {user: _ids(app_client, path, signed_in(user)) for user, path in paths.items()}
    assert shown == {user: [yubl.yubl_id] for user in paths}
    # WHEN the author deletes it
    _delete(app_client, yubl, signed_in(author))
    # THEN the very next read of each path leaves it out, every posts-table read consistent
    with _posts_table_reads() as reads:
        shown = {user: _ids(app_client, path, signed_in(user)) for user, path in paths.items()}
    assert shown == {follower: [], named: [], author: []}
    assert sorted(reads) == [("BatchGetItem", True), ("BatchGetItem", True), ("Query", True)]


def test_a_celebritys_pulled_post_leaves_the_merged_feed_from_the_202_on(
    app_client, posts, unique, signed_in, account
):
    # GIVEN a reader following a celebrity whose post was pulled, not fanned out
    star, reader = account(f"{unique}-star"), account(f"{unique}-reader")
    wiring.following_service().follow(star, reader)
    yubl = _stored(posts, star, "for the crowd", [])
    DynamoAuthorIndex(bind_author_model(os.environ["AUTHORS_TABLE"])).mark_pulling(star)
    DynamoPulledPosts(bind_pulled_post_model(os.environ["POSTS_TABLE"])).mark(star, yubl.yubl_id)
    assert _ids(app_client, f"/users/{reader}/feed", signed_in(reader)) == [yubl.yubl_id]
    # WHEN the celebrity deletes it
    _delete(app_client, yubl, signed_in(star))
    # THEN the merged read leaves it out (tests/unit/test_celebrities.py: even while
    # the pulled index, eventually consistent on DynamoDB, still lists it)
    assert _ids(app_client, f"/users/{reader}/feed", signed_in(reader)) == []


def test_the_rebuild_of_an_inactive_readers_feed_leaves_the_post_out(
    app_client, posts, unique, signed_in, account
):
    # GIVEN a reader who has not read for 90 days (the fan-out skipped them) and an
    # author they follow with two posts
    author, reader = account(f"{unique}-a"), account(f"{unique}-r")
    wiring.following_service().follow(author, reader)
    long_ago = (datetime.now(UTC) - timedelta(days=90)).strftime("%Y-%m-%dT%H:00:00Z")
    boto3.resource("dynamodb").Table(os.environ["ACTIVITY_TABLE"]).put_item(
        Item={"user_id": reader, "last_read_at": long_ago}
    )
    kept, gone = _stored(posts, author, "kept", []), _stored(posts, author, "gone", [])
    # WHEN the author deletes one, and the reader comes back
    _delete(app_client, gone, signed_in(author))
    response = app_client.http.get(f"/users/{reader}/feed", headers=signed_in(reader))
    # THEN the rebuilt feed holds the other one only
    assert (response.status_code, json.loads(response.body)) == (
        200,
        {"items": [kept.to_wire()], "next_cursor": None, "rebuilt": True},
    )


@contextmanager
def _calls(client: Any, service: str, name_param: str) -> Iterator[list[tuple[str, str]]]:
    """Each call ``client`` sends inside the block: (IAM action, the resource it names)."""
    calls: list[tuple[str, str]] = []

    def seen(model, params, **_):
        calls.append((f"{service}:{model.name}", params[name_param]))

    client.meta.events.register(f"before-parameter-build.{service}.*", seen)
    try:
        yield calls
    finally:
        client.meta.events.unregister(f"before-parameter-build.{service}.*", seen)


ARNS = {
    "dynamodb": "arn:aws:dynamodb:us-east-1:123456789012:table/{}",
    "kinesis": "arn:aws:kinesis:us-east-1:123456789012:stream/{}",
}


def _granted(stage: str, action: str, local_name: str) -> bool:
    """Whether the stage's IAM policy allows ``action`` on the stage's own resource of
    the one the local stage names ``local_name``."""
    settings = CONFIG["stages"][stage]
    local = CONFIG["stages"]["local"]["environment_variables"]
    (setting,) = [key for key, value in local.items() if value == local_name]
    name = settings["environment_variables"][setting]
    arn = ARNS[action.split(":")[0]].format(name)
    policy = json.loads((PROJECT_DIR / ".chalice" / settings["iam_policy_file"]).read_text())

    def listed(value: Any) -> list[str]:
        return value if isinstance(value, list) else [value]

    return any(
        statement["Effect"] == "Allow"
        and action in listed(statement["Action"])
        and any(fnmatchcase(arn, pattern) for pattern in listed(statement["Resource"]))
        for statement in policy["Statement"]
    )


def test_the_delete_routes_calls_are_granted_by_each_stages_policy(
    app_client, posts, unique, signed_in
):
    # GIVEN a post; WHEN its author deletes it, the posts table's and stream's calls seen
    author = f"{unique}-a"
    yubl = _stored(posts, author, "x", [])
    table = wiring._post_store()._model._get_connection().connection.client
    with (
        _calls(table, "dynamodb", "TableName") as writes,
        _calls(wiring._client("kinesis"), "kinesis", "StreamName") as puts,
    ):
        _delete(app_client, yubl, signed_in(author))
    # THEN they are one UpdateItem and one PutRecord, and each stage's policy allows
    # both (autogen_policy is off: a call without its grant works here, fails on AWS)
    calls = writes + puts
    assert calls == [
        ("dynamodb:UpdateItem", os.environ["POSTS_TABLE"]),
        ("kinesis:PutRecord", os.environ["YUBL_POSTED_STREAM"]),
    ]
    stages = [stage for stage, c in CONFIG["stages"].items() if "iam_policy_file" in c]
    assert stages == ["dev", "prod"]
    refused = [(stage, *call) for stage in stages for call in calls if not _granted(stage, *call)]
    assert refused == []
