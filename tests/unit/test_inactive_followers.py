"""Inactive followers on in-memory twins: the activity rule, the fan-out's skip, the hourly
read record, and the bounded rebuild on return."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from chalicelib.adapters.memory import (
    InMemoryActivityStore,
    InMemoryFeedStore,
    InMemoryFollowerStore,
    InMemoryPostStore,
)
from chalicelib.domain.activity import ReadPlan, active_among, is_active, plan_read, read_hour
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.fanout import group_message
from chalicelib.domain.paging import Page
from chalicelib.domain.posts import Yubl, new_yubl
from chalicelib.services.activity import FollowerActivity, ReadActivity, TrackedFeedReads
from chalicelib.services.feed_rebuild import FeedRebuilder, RebuildLimits
from chalicelib.services.feeds import FeedService, FeedWrite

NOW = datetime(2026, 11, 23, 22, 47, 13, tzinfo=UTC)
DAYS = 30
LONG_AGO = "2026-09-01T08:00:00Z"  # 83 days before NOW
RECENT = "2026-11-20T09:00:00Z"


# -- the rule -------------------------------------------------------------------------


def test_a_read_is_recorded_as_its_utc_hour():
    assert read_hour(NOW) == "2026-11-23T22:00:00Z"
    # 00:30 at UTC+2 is 22:30 UTC the day before
    assert read_hour(datetime(2026, 11, 24, 0, 30, tzinfo=timezone(timedelta(hours=2)))) == (
        "2026-11-23T22:00:00Z"
    )


def test_active_means_read_within_the_days_up_to_the_second():
    read = "2026-10-24T22:47:13Z"  # exactly 30 days before NOW
    assert is_active(read, NOW, DAYS) is True
    assert is_active(read, NOW + timedelta(seconds=1), DAYS) is False


def test_no_recorded_read_counts_as_active_and_zero_days_skips_nobody():
    assert is_active(None, NOW, DAYS) is True
    assert is_active(LONG_AGO, NOW, 0) is True


def test_a_group_keeps_its_active_followers_in_order_by_the_same_rule():
    exactly_30_days = "2026-10-24T22:47:13Z"
    a_second_older = "2026-10-24T22:47:12Z"
    reads = {"a": RECENT, "b": LONG_AGO, "c": exactly_30_days, "e": a_second_older}
    group = ["e", "d", "c", "b", "a"]  # d has no recorded read
    assert active_among(group, reads, NOW, DAYS) == ["d", "c", "a"]
    assert active_among(group, reads, NOW, 0) == group
    assert active_among(group, reads, NOW, DAYS) == [
        f for f in group if is_active(reads.get(f), NOW, DAYS)
    ]


@pytest.mark.parametrize(
    ("last_read", "plan"),
    [
        (None, ReadPlan(rebuild=False, record="2026-11-23T22:00:00Z")),  # a new reader
        ("2026-11-23T22:00:00Z", ReadPlan(rebuild=False, record=None)),  # read this hour
        ("2026-11-23T21:00:00Z", ReadPlan(rebuild=False, record="2026-11-23T22:00:00Z")),
        (LONG_AGO, ReadPlan(rebuild=True, record="2026-11-23T22:00:00Z")),  # back after 83 days
    ],
)
def test_what_a_read_does(last_read, plan):
    assert plan_read(last_read, NOW, DAYS) == plan


# -- the fan-out's skip ---------------------------------------------------------------


def test_the_fanout_skips_inactive_followers_with_one_batch_lookup_per_100():
    followers = [f"f{i:03d}" for i in range(250)]
    inactive = set(followers[:200:3])  # 67 of them; the last 50 never read
    store = InMemoryActivityStore(
        {f: LONG_AGO if f in inactive else RECENT for f in followers[:200]}
    )
    active = FollowerActivity(store, DAYS, lambda: NOW).active(followers)
    assert active == [f for f in followers if f not in inactive]
    assert (store.batch_calls, store.gets, store.writes) == (3, 0, 0)


def test_an_inactive_followers_feed_does_not_grow_and_the_write_says_so():
    feeds, posts = InMemoryFeedStore(), InMemoryPostStore()
    activity = InMemoryActivityStore({"bob": LONG_AGO, "carol": RECENT})
    service = FeedService(
        feeds, posts, clock=lambda: NOW, active=FollowerActivity(activity, DAYS, lambda: NOW).active
    )
    yubl = new_yubl("alice", "hello", now=NOW)
    written = service.add_group(group_message(yubl, ["bob", "carol", "dave"]))
    assert written == FeedWrite(
        yubl.yubl_id, yubl.posted_at, entries=2, followers=("carol", "dave"), skipped=1
    )
    assert sorted(feeds.entries) == [("carol", yubl.yubl_id), ("dave", yubl.yubl_id)]
    assert feeds.writes == 2


# -- reads: the hourly record and the rebuild -------------------------------------------


class _Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class _CountingFollows(InMemoryFollowerStore):
    def __init__(self) -> None:
        super().__init__()
        self.following_calls = 0

    def following(self, follower_id: str, limit: int, cursor: str | None) -> Page[str]:
        self.following_calls += 1
        return super().following(follower_id, limit, cursor)


class _CountingPosts(InMemoryPostStore):
    def __init__(self) -> None:
        super().__init__()
        self.authors_read: list[str] = []

    def page(self, author_id: str, limit: int, cursor: str | None) -> Page[Yubl]:
        self.authors_read.append(author_id)
        return super().page(author_id, limit, cursor)


def _world(limits: RebuildLimits | None = None, reads: dict[str, str] | None = None):
    limits = limits or RebuildLimits()
    follows, posts, feeds = _CountingFollows(), _CountingPosts(), InMemoryFeedStore()
    activity = InMemoryActivityStore(reads)
    clock = _Clock(NOW)
    rebuilder = FeedRebuilder(follows, posts, feeds, limits)
    reads_service = TrackedFeedReads(
        ReadActivity(activity, rebuilder, DAYS, clock), FeedService(feeds, posts).read
    )
    return follows, posts, feeds, activity, clock, reads_service


def _posts_by(posts: InMemoryPostStore, author: str, count: int, start: datetime) -> list[Yubl]:
    made = []
    for i in range(count):
        yubl = new_yubl(author, f"{author} #{i}", now=start + timedelta(minutes=i))
        posts.put(yubl)
        made.append(yubl)
    return made


def test_two_reads_within_an_hour_write_once_and_the_next_hour_writes_again():
    *_, activity, clock, reads = _world()
    reads.read("bob", 20, None)
    clock.now = NOW.replace(minute=59, second=59)
    reads.read("bob", 20, None)
    assert (activity.writes, activity.reads) == (1, {"bob": "2026-11-23T22:00:00Z"})
    clock.now = NOW + timedelta(hours=1)
    reads.read("bob", 20, None)
    assert (activity.writes, activity.reads) == (2, {"bob": "2026-11-23T23:00:00Z"})


def test_a_returning_reader_gets_the_newest_posts_of_followed_authors_then_a_normal_read():
    follows, posts, feeds, activity, _, reads = _world(reads={"bob": LONG_AGO})
    for author in ("alice", "zed"):
        follows.add(author, "bob")
    alice = _posts_by(posts, "alice", 3, NOW - timedelta(days=5))
    zed = _posts_by(posts, "zed", 2, NOW - timedelta(days=4))
    posts.tombstone("alice", alice[2].yubl_id, "2026-11-20T00:00:00.000Z")
    _posts_by(posts, "mallory", 2, NOW - timedelta(days=1))  # not followed

    first = reads.read("bob", 10, None)
    # zed posted after alice, and alice's newest is deleted
    expected = [zed[1], zed[0], alice[1], alice[0]]
    assert first.rebuilt is True
    assert [e.yubl for e in first.page.items] == expected
    assert activity.reads == {"bob": "2026-11-23T22:00:00Z"}
    second = reads.read("bob", 10, None)
    assert second.rebuilt is False
    assert [e.yubl for e in second.page.items] == expected
    assert feeds.writes == 4  # the rebuild's entries, nothing more


def test_the_rebuild_is_bounded_by_authors_posts_per_author_and_entries():
    limits = RebuildLimits(authors=3, posts_per_author=2, entries=5)
    follows, posts, feeds, _, _, reads = _world(limits, reads={"bob": LONG_AGO})
    authors = [f"a{i}" for i in range(5)]
    made: dict[str, list[Yubl]] = {}
    for i, author in enumerate(authors):
        follows.add(author, "bob")
        made[author] = _posts_by(posts, author, 4, NOW - timedelta(days=10 - i))
    read = reads.read("bob", 50, None)
    # the first 3 authors by id, the newest 2 of each, the newest 5 of those 6
    candidates = [y for a in authors[:3] for y in sorted(made[a], key=lambda y: y.yubl_id)[-2:]]
    expected = sorted(candidates, key=lambda y: y.yubl_id, reverse=True)[:5]
    assert read.rebuilt is True
    assert [e.yubl for e in read.page.items] == expected
    assert posts.authors_read == authors[:3]
    assert (follows.following_calls, feeds.writes) == (1, 5)


def test_the_following_index_is_paged_until_the_author_bound():
    follows, posts, _, _, _, _ = _world()
    rebuilder = FeedRebuilder(follows, posts, InMemoryFeedStore(), RebuildLimits(authors=1500))
    for i in range(1200):
        follows.add(f"a{i:04d}", "bob")
    rebuilder.rebuild("bob")
    assert follows.following_calls == 2  # pages of 1000 and 200
    assert posts.authors_read == [f"a{i:04d}" for i in range(1200)]


def test_nobody_comes_back_to_an_empty_feed_after_every_fanout_skipped_them():
    follows, posts, feeds, activity, _, reads = _world(reads={"bob": LONG_AGO})
    follows.add("alice", "bob")
    writer = FeedService(
        feeds, posts, clock=lambda: NOW, active=FollowerActivity(activity, DAYS, lambda: NOW).active
    )
    yubls = _posts_by(posts, "alice", 3, NOW - timedelta(minutes=10))
    for yubl in yubls:
        assert writer.add_group(group_message(yubl, ["bob"])).skipped == 1
    assert feeds.entries == {}
    read = reads.read("bob", 20, None)
    assert (read.rebuilt, [e.yubl for e in read.page.items]) == (True, yubls[::-1])


def test_a_bad_cursor_is_refused_before_any_write():
    follows, posts, feeds, activity, _, reads = _world(reads={"bob": LONG_AGO})
    follows.add("alice", "bob")
    _posts_by(posts, "alice", 2, NOW - timedelta(days=1))
    with pytest.raises(InvalidInput):
        reads.read("bob", 20, "not-a-cursor")
    assert (feeds.writes, activity.writes, activity.reads) == (0, 0, {"bob": LONG_AGO})


def test_a_failed_rebuild_leaves_the_read_unrecorded_so_the_next_read_rebuilds():
    class _FailingFeeds(InMemoryFeedStore):
        def put_entries(self, entries):
            raise RuntimeError("DynamoDB is unavailable")

    follows, posts, activity = InMemoryFollowerStore(), InMemoryPostStore(), InMemoryActivityStore()
    activity.reads["bob"] = LONG_AGO
    follows.add("alice", "bob")
    _posts_by(posts, "alice", 1, NOW - timedelta(days=1))
    rebuilder = FeedRebuilder(follows, posts, _FailingFeeds())
    with pytest.raises(RuntimeError):
        ReadActivity(activity, rebuilder, DAYS, lambda: NOW).on_read("bob")
    assert activity.reads == {"bob": LONG_AGO}
