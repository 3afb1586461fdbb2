"""Inactive followers against the emulator: the worker skips them (their feed rows do not
grow), their next GET /users/{id}/feed rebuilds with ``"rebuilt": true``, the read after is
normal, and a read is recorded at most once an hour. Calls are counted on the wire with a
botocore hook on the clients PynamoDB uses."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from boto3.dynamodb.conditions import Key
from chalice.test import Client

from chalicelib import wiring
from chalicelib.adapters.activity_store import DynamoActivityStore, bind_activity_model
from chalicelib.adapters.dynamodb_models import (
    bind_feed_model,
    bind_post_model,
    bind_relationship_model,
)
from chalicelib.adapters.dynamodb_stores import (
    DynamoFeedStore,
    DynamoFollowerStore,
    DynamoPostStore,
)
from chalicelib.domain.fanout import group_message
from chalicelib.domain.posts import new_yubl
from chalicelib.services.activity import ReadActivity
from chalicelib.services.feed_rebuild import FeedRebuilder
from devstack.stack import PROJECT_DIR
from tests.chalice_app import load_app

pytestmark = pytest.mark.emulator

DAYS = 30  # FANOUT_ACTIVE_DAYS of the local stage (the default)


@pytest.fixture(scope="module")
def client(stage_environment) -> Iterator[Client]:
    with Client(load_app(), stage_name="local", project_dir=str(PROJECT_DIR)) as test_client:
        yield test_client


@contextmanager
def _counted(client) -> Iterator[Counter[str]]:
    """API calls made through ``client`` inside the block, by operation name."""
    calls: Counter[str] = Counter()

    def count(model, **_):
        calls[model.name] += 1

    client.meta.events.register("before-call.dynamodb.*", count)
    try:
        yield calls
    finally:
        client.meta.events.unregister("before-call.dynamodb.*", count)


def _pynamodb_client(model) -> object:
    return model._get_connection().connection.client


def _feed_rows(table: str, user: str) -> int:
    found = (
        boto3.resource("dynamodb")
        .Table(table)
        .query(KeyConditionExpression=Key("user_id").eq(user), Select="COUNT")
    )
    return int(found["Count"])


def _hour(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:00:00Z")


def test_an_inactive_follower_is_skipped_then_rebuilt_on_read_then_read_normally(
    client, stack_outputs, signed_in, unique
):
    now = datetime.now(UTC)
    feeds_table, activity_table = (
        stack_outputs["FeedsTableName"],
        stack_outputs["ActivityTableName"],
    )
    alice, zed, bob = f"{unique}-alice", f"{unique}-zed", f"{unique}-bob"
    fans = [f"{unique}-fan{i:03d}" for i in range(149)]  # with bob: 150 followers of alice
    quiet = set(fans[:89]) | {bob}  # 90 of 150 (60 %) have not read for 40 days
    follows = DynamoFollowerStore(bind_relationship_model(stack_outputs["RelationshipsTableName"]))
    for fan in [bob, *fans]:
        follows.add(alice, fan)
    follows.add(zed, bob)
    activity = boto3.resource("dynamodb").Table(activity_table)
    with activity.batch_writer() as batch:
        for fan in [bob, *fans[:120]]:  # the last 29 never read: they count as active
            at = now - timedelta(days=40) if fan in quiet else now - timedelta(days=2)
            batch.put_item(Item={"user_id": fan, "last_read_at": _hour(at)})
    posts = DynamoPostStore(bind_post_model(stack_outputs["PostsTableName"]))
    alice_posts = [
        new_yubl(alice, f"alice #{i}", now=now - timedelta(hours=9 - i)) for i in range(3)
    ]
    zed_posts = [new_yubl(zed, f"zed #{i}", now=now - timedelta(hours=8 - 2 * i)) for i in range(2)]
    for yubl in [*alice_posts, *zed_posts]:
        posts.put(yubl)  # as the dispatcher does before it publishes

    # GIVEN alice's posts reach the feed worker, one message of all 150 followers each
    worker = wiring.feed_service()
    with _counted(_pynamodb_client(wiring._activity_store()._model)) as lookups:
        written = [
            worker.add_group(group_message(yubl, sorted([bob, *fans]))) for yubl in alice_posts
        ]
    # THEN the 90 quiet followers are skipped: 60 entries a post, two lookups of 100 keys
    assert [(w.entries, w.skipped) for w in written] == [(60, 90)] * 3
    assert lookups == {"BatchGetItem": 6}
    assert _feed_rows(feeds_table, bob) == 0
    assert [_feed_rows(feeds_table, fans[i]) for i in (0, 88, 89, 148)] == [0, 0, 3, 3]

    # AND one of alice's posts is deleted since (the fan-out checks a post's tombstone,
    # so a post deleted first would have been written to nobody)
    posts.tombstone(alice, alice_posts[1].yubl_id, now.strftime("%Y-%m-%dT%H:%M:%S.000Z"))
    # WHEN bob comes back and reads his feed
    live = [alice_posts[0], alice_posts[2], *zed_posts]  # computed here: every live post
    expected = [y.to_wire() for y in sorted(live, key=lambda y: y.yubl_id, reverse=True)]
    first = client.http.get(f"/users/{bob}/feed?limit=10", headers=signed_in(bob))
    # THEN the feed is rebuilt from alice's and zed's newest posts, and says so
    assert (first.status_code, json.loads(first.body)) == (
        200,
        {"items": expected, "next_cursor": None, "rebuilt": True},
    )
    assert _feed_rows(feeds_table, bob) == 4
    assert activity.get_item(Key={"user_id": bob})["Item"]["last_read_at"] >= _hour(now)
    # AND the next read is a normal one, in the usual shape
    second = client.http.get(f"/users/{bob}/feed?limit=10", headers=signed_in(bob))
    assert (second.status_code, json.loads(second.body)) == (
        200,
        {"items": expected, "next_cursor": None},
    )
    # AND bob is active again: the next fan-out writes to him
    later = new_yubl(alice, "alice, later", now=datetime.now(UTC))
    posts.put(later)
    assert worker.add_group(group_message(later, [bob])).followers == (bob,)


def test_two_reads_within_an_hour_write_once(stack_outputs, stage_environment, unique):
    model = bind_activity_model(stack_outputs["ActivityTableName"])
    store = DynamoActivityStore(model)
    feeds = DynamoFeedStore(bind_feed_model(stack_outputs["FeedsTableName"]))
    follows = DynamoFollowerStore(bind_relationship_model(stack_outputs["RelationshipsTableName"]))
    posts = DynamoPostStore(bind_post_model(stack_outputs["PostsTableName"]))
    times = iter(
        datetime(2026, 3, 1, h, m, tzinfo=UTC) for h, m in [(10, 5), (10, 55), (11, 1), (10, 59)]
    )
    reads = ReadActivity(store, FeedRebuilder(follows, posts, feeds), DAYS, lambda: next(times))
    reader = f"{unique}-reader"
    with _counted(_pynamodb_client(model)) as calls:
        reads.on_read(reader)  # 10:05, no record yet: written
        reads.on_read(reader)  # 10:55: the same hour, nothing written
    assert calls == {"GetItem": 2, "UpdateItem": 1}
    assert store.last_read(reader) == "2026-03-01T10:00:00Z"
    with _counted(_pynamodb_client(model)) as calls:
        reads.on_read(reader)  # 11:01: a new hour
    assert calls == {"GetItem": 1, "UpdateItem": 1}
    # a write of an earlier hour (a slow reader racing a faster one) never goes back
    assert store.record_read(reader, "2026-03-01T10:00:00Z") is False
    assert store.last_read(reader) == "2026-03-01T11:00:00Z"


def test_a_bad_cursor_from_a_returning_reader_is_400_and_changes_nothing(
    client, stack_outputs, signed_in, unique, written
):
    reader, author = f"{unique}-ann", f"{unique}-eve"
    follows = DynamoFollowerStore(bind_relationship_model(stack_outputs["RelationshipsTableName"]))
    follows.add(author, reader)
    posts = DynamoPostStore(bind_post_model(stack_outputs["PostsTableName"]))
    posts.put(new_yubl(author, "hello", now=datetime.now(UTC)))
    long_ago = _hour(datetime.now(UTC) - timedelta(days=90))
    activity = boto3.resource("dynamodb").Table(stack_outputs["ActivityTableName"])
    activity.put_item(Item={"user_id": reader, "last_read_at": long_ago})
    headers = signed_in(reader)
    before = written.snapshot()
    response = client.http.get(f"/users/{reader}/feed?cursor=nope", headers=headers)
    assert (response.status_code, json.loads(response.body)) == (
        400,
        {"error": "cursor: is not a cursor this API returned"},
    )
    # no rebuild of the returning reader's feed, and their last read not moved
    assert written.changed(before) == []
