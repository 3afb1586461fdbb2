"""The posts table and reference feed entries, against the emulator over HTTP.

Write units are counted from the BatchWriteItem requests that go on the wire (a botocore
hook on PynamoDB's client), by DynamoDB's rule as ``loadtests/capacity.py`` applies it:
a write unit per started KB of an item, its size the UTF-8 length of its attribute names
and string values.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.adapters.dynamodb_models import bind_feed_model, bind_post_model
from chalicelib.adapters.dynamodb_stores import DynamoFeedStore, DynamoPostStore
from chalicelib.domain.feed import entries_for
from chalicelib.domain.posts import Yubl, new_yubl
from chalicelib.services.feeds import FeedService
from loadtests.capacity import write_units

pytestmark = pytest.mark.emulator

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def posts(stack_outputs) -> DynamoPostStore:
    return DynamoPostStore(bind_post_model(stack_outputs["PostsTableName"]))


@pytest.fixture
def feed_model(stack_outputs):
    return bind_feed_model(stack_outputs["FeedsTableName"])


def _old_entry_units(user_id: str, yubl: Yubl) -> int:
    """What the entry cost when it carried the text (the shape before references)."""
    return write_units(
        {
            "user_id": {"S": user_id},
            "yubl_id": {"S": yubl.yubl_id},
            "author_id": {"S": yubl.author_id},
            "text": {"S": yubl.text},
            "posted_at": {"S": yubl.posted_at},
        }
    )


def test_a_post_is_stored_once_and_a_replay_changes_nothing(posts, unique):
    yubl = new_yubl(f"{unique}-a", "first words", now=NOW)
    assert posts.put(yubl) is True
    assert posts.put(Yubl(yubl.yubl_id, yubl.author_id, "replayed, other text", "x")) is False
    assert posts.live([(yubl.author_id, yubl.yubl_id)]) == {yubl.yubl_id: yubl}


def test_hydration_reads_more_than_one_batch_get_of_keys(posts, unique):
    author = f"{unique}-a"
    yubls = [new_yubl(author, f"post {i}", now=NOW) for i in range(150)]  # two calls of 100
    for yubl in yubls:
        posts.put(yubl)
    keys = [(author, y.yubl_id) for y in yubls] + [(author, "1767225600000-000000000000")]
    assert posts.live(keys) == {y.yubl_id: y for y in yubls}


def test_the_feed_reads_hydrated_entries_in_the_same_shape(posts, feed_model, unique):
    feeds = FeedService(DynamoFeedStore(feed_model), posts)
    author, reader = f"{unique}-a", f"{unique}-r"
    older = new_yubl(author, "older", now=NOW)
    newer = new_yubl(author, "newer", now=NOW.replace(second=5))
    for yubl in (older, newer):
        posts.put(yubl)
        DynamoFeedStore(feed_model).put_entries(entries_for(yubl, [reader]))
    assert [e.yubl for e in feeds.read(reader, 10, None).items] == [newer, older]


@pytest.mark.parametrize("length", [100, 2_000])
def test_a_feed_entry_costs_one_write_unit_whatever_the_text(feed_model, unique, length):
    sent: list[dict] = []

    def count(params, **_):
        for requests in params["RequestItems"].values():
            sent.extend(request["PutRequest"]["Item"] for request in requests)

    client = feed_model._get_connection().connection.client
    client.meta.events.register("before-parameter-build.dynamodb.BatchWriteItem", count)
    try:
        yubl = new_yubl(f"{unique}-a", "x" * length, now=NOW)
        readers = [f"{unique}-r{i:02d}" for i in range(30)]
        DynamoFeedStore(feed_model).put_entries(entries_for(yubl, readers))
    finally:
        client.meta.events.unregister("before-parameter-build.dynamodb.BatchWriteItem", count)
    units = [write_units(item) for item in sent]
    before = _old_entry_units(readers[0], yubl)
    print(f"\nwrite units per feed entry, {length}-character post: {before} before, 1 after")
    assert len(sent) == 30
    assert units == [1] * 30
    assert before == (1 if length == 100 else 3)
    assert all("text" not in item for item in sent)


def test_a_tombstone_hides_the_post_and_drops_its_text(posts, stack_outputs, unique):
    yubl = new_yubl(f"{unique}-a", "to be deleted", now=NOW)
    posts.put(yubl)
    posts.tombstone(yubl.author_id, yubl.yubl_id, "2026-01-01T00:00:01.000Z")
    assert posts.live([(yubl.author_id, yubl.yubl_id)]) == {}
    row = bind_post_model(stack_outputs["PostsTableName"]).get(yubl.author_id, yubl.yubl_id)
    assert (row.text, row.deleted_at) == (None, "2026-01-01T00:00:01.000Z")


def test_a_tombstone_written_before_its_post_keeps_the_post_out(posts, unique):
    yubl = new_yubl(f"{unique}-a", "never shown", now=NOW)
    posts.tombstone(yubl.author_id, yubl.yubl_id, "2026-01-01T00:00:01.000Z")
    assert posts.put(yubl) is False
    assert posts.live([(yubl.author_id, yubl.yubl_id)]) == {}
