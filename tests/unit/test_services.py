"""Use cases on in-memory twins of the ports."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime

import pytest

from chalicelib.adapters.memory import (
    InMemoryEventPublisher,
    InMemoryFanoutProgress,
    InMemoryFeedStore,
    InMemoryFollowerStore,
    InMemoryGroupPublisher,
    InMemoryMessagePublisher,
    InMemoryPostStore,
)
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.fanout import encode_group
from chalicelib.domain.posts import new_yubl, yubl_posted_event
from chalicelib.domain.routing import RoutingTable
from chalicelib.services.distribution import Distribution, DistributionService, GroupDelivery
from chalicelib.services.feeds import FeedService, FeedWrite
from chalicelib.services.following import FollowingService
from chalicelib.services.posting import PostingService

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
FEED_ONLY = RoutingTable.declare({"yubl-posted": ["feed"]}, {"feed": "feed-test"})


def _feed_distribution(yubl_id: str, **delivery) -> Distribution:
    return Distribution(yubl_id, "yubl-posted", (GroupDelivery("feed", **delivery),))


def test_posting_publishes_yubl_posted_keyed_by_author():
    events = InMemoryEventPublisher()
    yubl = PostingService(events, InMemoryPostStore(), clock=lambda: NOW).post("alice", "hi")
    assert events.published == [("alice", {"type": "yubl-posted", "yubl": yubl.to_wire()})]


def test_invalid_post_publishes_nothing():
    events = InMemoryEventPublisher()
    with pytest.raises(InvalidInput):
        PostingService(events, InMemoryPostStore(), clock=lambda: NOW).post("alice", "")
    assert events.published == []


def test_follow_is_idempotent_and_unfollow_removes():
    store = InMemoryFollowerStore()
    service = FollowingService(store, InMemoryEventPublisher())
    service.follow("alice", "bob")
    service.follow("alice", "bob")
    service.follow("alice", "carol")
    assert service.followers("alice", 10, None).items == ["bob", "carol"]
    service.unfollow("alice", "bob")
    assert service.followers("alice", 10, None).items == ["carol"]


def test_a_user_cannot_follow_themselves():
    events = InMemoryEventPublisher()
    service = FollowingService(InMemoryFollowerStore(), events)
    with pytest.raises(InvalidInput) as caught:
        service.follow("alice", "alice")
    assert str(caught.value) == "follower_id: a user cannot follow themselves"
    assert events.published == []


def test_followers_page_with_cursor():
    store = InMemoryFollowerStore()
    service = FollowingService(store, InMemoryEventPublisher())
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
    groups = InMemoryGroupPublisher()
    service = DistributionService(
        store,
        groups,
        FEED_ONLY,
        group_size=group_size,
        page_size=page_size,
        posts=InMemoryPostStore(),
    )
    return store, groups.group("feed"), service


def test_distribution_sends_every_follower_exactly_once_in_groups():
    store, publisher, service = _dispatcher(followers=2_345, group_size=500, page_size=300)
    event = yubl_posted_event(new_yubl("author", "hi", now=NOW, suffix="0123456789ab"))
    result = service.distribute(event)
    groups = [m["followers"] for m in publisher.messages]
    assert [len(g) for g in groups] == [500, 500, 500, 500, 345]
    assert [f for g in groups for f in g] == [f"f{i:05d}" for i in range(2_345)]
    assert result == _feed_distribution(
        event["yubl"]["yubl_id"], followers=2_345, messages=5, batches=1, lane="bulk"
    )
    # one read of the first 1,001 (more than FANOUT_PRIORITY_MAX_FOLLOWERS: the bulk
    # lane), then streamed page by page: ceil((2345 - 1001) / 300)
    assert (store.heads_read, store.pages_served) == (1, 5)


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


def test_adding_a_group_writes_each_follower_once_and_a_replay_writes_again_and_stores_once():
    """Counted in the twin's write counts, which a repeat shows (the entries, keyed by
    follower and yubl, would not): a follower listed twice is written once, and a
    replayed message (at-least-once delivery) writes each entry a second time."""
    store = InMemoryFeedStore()
    service = FeedService(store, InMemoryPostStore())
    yubl = new_yubl("author", "hi", now=NOW, suffix="0123456789ab")
    [message] = encode_group(yubl, ["f1", "f2", "f2", "f3"])
    assert service.add_group(json.loads(message)) == FeedWrite(
        yubl.yubl_id, yubl.posted_at, 3, followers=("f1", "f2", "f3")
    )
    keys = [("f1", yubl.yubl_id), ("f2", yubl.yubl_id), ("f3", yubl.yubl_id)]
    assert store.write_counts == Counter(dict.fromkeys(keys, 1))
    service.add_group(json.loads(message))
    assert store.write_counts == Counter(dict.fromkeys(keys, 2))
    assert sorted(store.entries) == keys


def test_feed_reads_newest_first_with_cursor():
    store = InMemoryFeedStore()
    posts = InMemoryPostStore()
    service = FeedService(store, posts)
    yubls = [
        new_yubl("a", f"post {i}", now=datetime(2026, 1, 1, 0, 0, i, tzinfo=UTC)) for i in range(3)
    ]
    for yubl in yubls:
        posts.put(yubl)  # as the dispatcher does before the fan-out
        [message] = encode_group(yubl, ["reader"])
        service.add_group(json.loads(message))
    first = service.read("reader", 2, None)
    second = service.read("reader", 2, first.next_cursor)
    assert [e.yubl.text for e in first.items] == ["post 2", "post 1"]
    assert [e.yubl.text for e in second.items] == ["post 0"]
    assert second.next_cursor is None


# --- resuming a fan-out after a failure (progress per yubl) ---------------------------


def _resumable(followers: int, fail_on: set[int], group_size: int = 100):
    store = InMemoryFollowerStore()
    for i in range(followers):
        store.add("author", f"f{i:05d}")
    progress = InMemoryFanoutProgress()
    failing = InMemoryMessagePublisher(fail_on=fail_on, fail_with=RuntimeError("SNS down"))
    service = DistributionService(
        store,
        InMemoryGroupPublisher({"feed": failing}),
        FEED_ONLY,
        group_size=group_size,
        page_size=250,
        progress=progress,
        posts=InMemoryPostStore(),
    )
    return failing, progress, service


def test_a_retried_distribution_publishes_only_the_batches_not_yet_published():
    # GIVEN 3,500 followers in groups of 100: 35 messages, batches of 10, 10, 10, 5
    publisher, progress, service = _resumable(followers=3_500, fail_on={3})
    event = yubl_posted_event(new_yubl("author", "hi", now=NOW, suffix="0123456789ab"))
    # WHEN the third PublishBatch call fails
    with pytest.raises(RuntimeError, match="SNS down"):
        service.distribute(event)
    # THEN two batches (2,000 followers) went out and the progress names the last of them
    assert [len(b) for b in publisher.batches] == [10, 10]
    assert progress.last_published(event["yubl"]["yubl_id"], "feed") == "f01999"
    # WHEN the record is retried
    result = service.distribute(event)
    # THEN only the remaining 15 messages are published, each follower exactly once overall
    assert [len(b) for b in publisher.batches] == [10, 10, 10, 5]
    followers = [f for m in publisher.messages for f in m["followers"]]
    assert followers == [f"f{i:05d}" for i in range(3_500)]
    assert result == _feed_distribution(
        event["yubl"]["yubl_id"],
        followers=1_500,
        messages=15,
        batches=2,
        resumed_after="f01999",
        lane="bulk",
    )


def test_a_replay_of_a_finished_distribution_publishes_nothing():
    publisher, progress, service = _resumable(followers=250, fail_on=set())
    event = yubl_posted_event(new_yubl("author", "hi", now=NOW, suffix="0123456789ab"))
    service.distribute(event)
    assert progress.last_published(event["yubl"]["yubl_id"], "feed") == "f00249"
    again = service.distribute(event)
    assert len(publisher.messages) == 3  # 100 + 100 + 50, from the first call only
    [feed] = again.groups
    assert (feed.messages, feed.batches, feed.resumed_after) == (0, 0, "f00249")


def test_progress_of_a_split_group_names_the_last_follower_actually_sent():
    # GIVEN one group of 5,000 long follower ids and a long text: too big for one SNS
    # message, so it is split in two halves, each alone in its PublishBatch call
    store = InMemoryFollowerStore()
    ids = [f"{i:064d}" for i in range(5_000)]
    for follower in ids:
        store.add("author", follower)
    publisher = InMemoryMessagePublisher(fail_on={2})
    progress = InMemoryFanoutProgress()
    service = DistributionService(
        store,
        InMemoryGroupPublisher({"feed": publisher}),
        FEED_ONLY,
        group_size=5_000,
        progress=progress,
        posts=InMemoryPostStore(),
    )
    event = yubl_posted_event(
        new_yubl("author", "\U0001f600" * 2000, now=NOW, suffix="0123456789ab")
    )
    # WHEN the second call (the group's second half) fails
    with pytest.raises(RuntimeError):
        service.distribute(event)
    # THEN the progress names the last follower of the first half, not of the group
    assert [len(m["followers"]) for m in publisher.messages] == [2_500]
    assert progress.last_published(event["yubl"]["yubl_id"], "feed") == ids[2_499]
    # AND the retry sends exactly the second half
    service.distribute(event)
    assert [f for m in publisher.messages for f in m["followers"]] == ids


def test_progress_never_moves_backwards():
    progress = InMemoryFanoutProgress()
    progress.record_published("y", "feed", "f00500")
    progress.record_published("y", "feed", "f00100")
    assert progress.last_published("y", "feed") == "f00500"


def test_a_record_with_an_invalid_posted_at_is_refused_before_any_publish():
    publisher, progress, service = _resumable(followers=10, fail_on=set())
    event = yubl_posted_event(new_yubl("author", "hi", now=NOW, suffix="0123456789ab"))
    event["yubl"]["posted_at"] = "yesterday"
    with pytest.raises(InvalidInput, match=r"yubl\.posted_at"):
        service.distribute(event)
    assert (publisher.calls, progress.writes) == (0, 0)
