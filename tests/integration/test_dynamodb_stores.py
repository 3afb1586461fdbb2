"""DynamoDB adapters against the emulator, over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.adapters.dynamodb_models import (
    bind_feed_model,
    bind_relationship_model,
)
from chalicelib.adapters.dynamodb_stores import (
    DynamoFeedStore,
    DynamoFollowerStore,
)
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.feed import FeedRef, entries_for
from chalicelib.domain.posts import new_yubl

pytestmark = pytest.mark.emulator


@pytest.fixture
def followers(stack_outputs) -> DynamoFollowerStore:
    return DynamoFollowerStore(bind_relationship_model(stack_outputs["RelationshipsTableName"]))


@pytest.fixture
def feeds(stack_outputs) -> DynamoFeedStore:
    return DynamoFeedStore(bind_feed_model(stack_outputs["FeedsTableName"]))


def test_follow_twice_stores_one_relationship_and_unfollow_removes_it(followers, unique):
    followers.add(f"{unique}-a", "bob")
    followers.add(f"{unique}-a", "bob")
    followers.add(f"{unique}-a", "carol")
    followers.remove(f"{unique}-a", "bob")
    assert followers.page(f"{unique}-a", 10, None).items == ["carol"]


def test_followers_page_through_with_cursors(followers, unique):
    user = f"{unique}-u"
    for i in range(5):
        followers.add(user, f"f{i}")
    first = followers.page(user, 2, None)
    second = followers.page(user, 2, first.next_cursor)
    third = followers.page(user, 2, second.next_cursor)
    assert [first.items, second.items, third.items] == [["f0", "f1"], ["f2", "f3"], ["f4"]]
    assert third.next_cursor is None


def test_exactly_full_last_page_has_no_next_cursor(followers, unique):
    user = f"{unique}-u"
    for i in range(4):
        followers.add(user, f"f{i}")
    assert followers.page(user, 2, followers.page(user, 2, None).next_cursor).next_cursor is None


def test_iter_pages_streams_every_follower_in_pages(followers, unique, stack_outputs):
    user = f"{unique}-big"
    model = bind_relationship_model(stack_outputs["RelationshipsTableName"])
    with model.batch_write() as batch:
        for i in range(2_345):
            batch.save(model(user, f"f{i:05d}"))
    pages = list(followers.iter_pages(user, 1_000))
    assert [len(p) for p in pages] == [1_000, 1_000, 345]
    assert [f for p in pages for f in p] == [f"f{i:05d}" for i in range(2_345)]


def test_the_head_is_at_most_a_limit_of_followers_after_a_position_in_one_query(
    followers, unique, stack_outputs
):
    # GIVEN an author with 12 followers
    author = f"{unique}-a"
    ids = [f"f{i:02d}" for i in range(12)]
    for follower in ids:
        followers.add(author, follower)
    model = bind_relationship_model(stack_outputs["RelationshipsTableName"])
    store = DynamoFollowerStore(model)
    queries: list[dict] = []
    client = model._get_connection().connection.client
    record = lambda params, **_: queries.append(params)  # noqa: E731
    client.meta.events.register("before-parameter-build.dynamodb.Query", record)
    try:
        # THEN the first 5, the 5 after f04, and what is left after f09 (2 of 5), each
        # one Query of at most the limit
        assert store.head(author, 5) == ids[:5]
        assert store.head(author, 5, after="f04") == ids[5:10]
        assert store.head(author, 5, after="f09") == ids[10:]
    finally:
        client.meta.events.unregister("before-parameter-build.dynamodb.Query", record)
    assert [q["Limit"] for q in queries] == [5, 5, 5]


def test_feed_entries_written_in_batches_are_read_newest_first(feeds, unique):
    start = datetime(2026, 1, 1, tzinfo=UTC)
    yubls = [new_yubl("author", f"post {i}", now=start + timedelta(seconds=i)) for i in range(3)]
    readers = [f"{unique}-r{i}" for i in range(60)]
    for yubl in yubls:
        feeds.put_entries(entries_for(yubl, readers))  # 60 entries: three BatchWriteItem calls
    page = feeds.page(readers[59], 2, None)
    rest = feeds.page(readers[59], 2, page.next_cursor)
    assert [e.yubl_id for e in page.items] == [yubls[2].yubl_id, yubls[1].yubl_id]
    assert [e.yubl_id for e in rest.items] == [yubls[0].yubl_id]
    assert rest.next_cursor is None


def test_a_replayed_feed_write_overwrites_and_is_stored_as_one_row(feeds, unique):
    yubl = new_yubl("author", "once", now=datetime(2026, 1, 1, tzinfo=UTC))
    entries = entries_for(yubl, [f"{unique}-r"])
    feeds.put_entries(entries)
    feeds.put_entries(entries)
    assert feeds.page(f"{unique}-r", 10, None).items == [
        FeedRef(f"{unique}-r", yubl.yubl_id, "author", yubl.posted_at)
    ]


def test_foreign_cursor_is_refused(feeds, unique):
    with pytest.raises(InvalidInput) as caught:
        feeds.page(f"{unique}-r", 10, "garbage")
    assert caught.value.field == "cursor"
