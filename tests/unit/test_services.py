"""Use cases on in-memory twins of the ports."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from chalicelib.adapters.memory import (
    InMemoryEventPublisher,
    InMemoryFeedStore,
    InMemoryFollowerStore,
    InMemoryMessagePublisher,
)
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.fanout import encode_group
from chalicelib.domain.posts import new_yubl, yubl_posted_event
from chalicelib.services.distribution import Distribution, DistributionService
from chalicelib.services.feeds import FeedService, FeedWrite
from chalicelib.services.following import FollowingService
from chalicelib.services.posting import PostingService

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_posting_publishes_yubl_posted_keyed_by_author():
    events = InMemoryEventPublisher()
    yubl = PostingService(events, clock=lambda: NOW).post("alice", "hi")
    assert events.published == [("alice", {"type": "yubl-posted", "yubl": yubl.to_wire()})]


def test_invalid_post_publishes_nothing():
    events = InMemoryEventPublisher()
    with pytest.raises(InvalidInput):
        PostingService(events, clock=lambda: NOW).post("alice", "")
    assert events.published == []


def test_follow_is_idempotent_and_unfollow_removes():
    store = InMemoryFollowerStore()
    service = FollowingService(store)
    service.follow("alice", "bob")
    service.follow("alice", "bob")
    service.follow("alice", "carol")
    assert service.followers("alice", 10, None).items == ["bob", "carol"]
    service.unfollow("alice", "bob")
    assert service.followers("alice", 10, None).items == ["carol"]


def test_a_user_cannot_follow_themselves():
    service = FollowingService(InMemoryFollowerStore())
    with pytest.raises(InvalidInput) as caught:
        service.follow("alice", "alice")
    assert str(caught.value) == "follower_id: a user cannot follow themselves"


def test_followers_page_with_cursor():
    store = InMemoryFollowerStore()
    service = FollowingService(store)
    for name in ["e", "a", "c", "b", "d"]:
        service.follow("u", name)
    first = service.followers("u", 2, None)
    second = service.followers("u", 2, first.next_cursor)
    third = service.followers("u", 2, second.next_cursor)
    assert (first.items, second.items, third.items) == (["a", "b"], ["c", "d"], ["e"])
    assert third.next_cursor is None


def _dispatcher(followers: int, group_size: int = 500, page_size: int = 1000):
    store = InMemoryFollowerStore()
    for i in range(followers):
        store.add("author", f"f{i:05d}")
    publisher = InMemoryMessagePublisher()
    service = DistributionService(store, publisher, group_size=group_size, page_size=page_size)
    return store, publisher, service


def test_distribution_sends_every_follower_exactly_once_in_groups():
    store, publisher, service = _dispatcher(followers=2_345, group_size=500, page_size=300)
    event = yubl_posted_event(new_yubl("author", "hi", now=NOW, suffix="0123456789ab"))
    result = service.distribute(event)
    groups = [m["followers"] for m in publisher.messages]
    assert [len(g) for g in groups] == [500, 500, 500, 500, 345]
    assert [f for g in groups for f in g] == [f"f{i:05d}" for i in range(2_345)]
    assert result == Distribution(
        yubl_id=event["yubl"]["yubl_id"], followers=2_345, messages=5, batches=1
    )
    assert store.pages_served == 8  # streamed page by page: ceil(2345 / 300)


def test_distribution_publishes_batches_of_at_most_ten_groups():
    _, publisher, service = _dispatcher(followers=10_500, group_size=500)
    service.distribute(yubl_posted_event(new_yubl("author", "hi", now=NOW)))
    assert [len(b) for b in publisher.batches] == [10, 10, 1]


def test_author_without_followers_publishes_nothing():
    _, publisher, service = _dispatcher(followers=0)
    result = service.distribute(yubl_posted_event(new_yubl("author", "hi", now=NOW)))
    assert publisher.batches == []
    assert result.followers == 0


def test_distribution_refuses_a_non_yubl_event():
    _, publisher, service = _dispatcher(followers=3)
    with pytest.raises(InvalidInput):
        service.distribute({"type": "something-else"})
    assert publisher.batches == []


def test_adding_a_group_writes_one_entry_per_follower_and_replay_does_not_duplicate():
    store = InMemoryFeedStore()
    service = FeedService(store)
    yubl = new_yubl("author", "hi", now=NOW, suffix="0123456789ab")
    [message] = encode_group(yubl, ["f1", "f2", "f2", "f3"])
    assert service.add_group(json.loads(message)) == FeedWrite(
        yubl.yubl_id, yubl.posted_at, 3, followers=("f1", "f2", "f3")
    )
    service.add_group(json.loads(message))
    assert sorted(store.entries) == [
        ("f1", yubl.yubl_id),
        ("f2", yubl.yubl_id),
        ("f3", yubl.yubl_id),
    ]


def test_feed_reads_newest_first_with_cursor():
    store = InMemoryFeedStore()
    service = FeedService(store)
    yubls = [
        new_yubl("a", f"post {i}", now=datetime(2026, 1, 1, 0, 0, i, tzinfo=UTC)) for i in range(3)
    ]
    for yubl in yubls:
        [message] = encode_group(yubl, ["reader"])
        service.add_group(json.loads(message))
    first = service.read("reader", 2, None)
    second = service.read("reader", 2, first.next_cursor)
    assert [e.yubl.text for e in first.items] == ["post 2", "post 1"]
    assert [e.yubl.text for e in second.items] == ["post 0"]
    assert second.next_cursor is None
