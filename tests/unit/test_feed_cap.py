"""Capped feeds on in-memory twins: which feeds a write trims, what goes, what reads show,
and what trimming costs in calls and write units next to the writes themselves."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.adapters.memory import (
    InMemoryFeedStore,
    InMemoryFeedTrimStore,
    InMemoryPostStore,
    InMemoryTrimMarks,
)
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.fanout import group_message
from chalicelib.domain.feed import entries_for
from chalicelib.domain.feed_cap import FeedCap
from chalicelib.domain.posts import Yubl, new_yubl
from chalicelib.events.feed_writer import feed_writer
from chalicelib.services.feed_cap import FeedTrimmer
from chalicelib.services.feeds import FeedService

START = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
NOW = START + timedelta(days=1)


def _posts(count: int, author: str = "author") -> list[Yubl]:
    """``count`` yubls one second apart, oldest first, with fixed ids."""
    return [
        new_yubl(author, f"post {i}", now=START + timedelta(seconds=i), suffix=f"{i:012x}")
        for i in range(count)
    ]


class Feeds:
    """add_to_feed's body (feed_writer) over twins, with the cap's trimmer."""

    def __init__(self, cap: FeedCap) -> None:
        self.store = InMemoryFeedStore()
        self.trim_store = InMemoryFeedTrimStore(self.store)
        self.posts = InMemoryPostStore()
        self.marks = InMemoryTrimMarks()
        self.write_calls = 0
        self.service = FeedService(self.store, self.posts, clock=lambda: NOW, cap=cap)
        self.handle = feed_writer(
            lambda: self.service,
            margin_ms=lambda: 0,
            clock=lambda: NOW,
            trimmer=lambda: FeedTrimmer(self.trim_store, cap, self.marks),
        )
        self._put = self.store.put_entries
        self.store.put_entries = self._count_put  # type: ignore[method-assign]

    def _count_put(self, entries):
        self.write_calls += 1  # one BatchWriteItem of at most 25
        self._put(entries)

    def deliver(self, yubl: Yubl, followers: list[str]) -> None:
        self.posts.put(yubl)  # as the dispatcher does before the fan-out
        self.handle(group_message(yubl, followers))

    def rows(self, user: str) -> list[str]:
        return sorted((k[1] for k in self.store.entries if k[0] == user), reverse=True)

    def shown(self, user: str, limit: int = 7) -> list[str]:
        """Every page of the feed as a reader pages through it."""
        ids, cursor = [], None
        while True:
            page = self.service.read(user, limit, cursor)
            ids += [entry.yubl.yubl_id for entry in page.items]
            if page.next_cursor is None:
                return ids
            cursor = page.next_cursor


# --- the domain's decisions


def test_trim_every_one_trims_on_every_write():
    cap = FeedCap(max_items=20, trim_every=1)
    assert all(cap.draws_trim(f"u{i}", f"y{i}") for i in range(100))


def test_a_draw_is_the_same_on_a_replay_and_about_one_in_trim_every():
    cap = FeedCap(max_items=20, trim_every=100)
    pairs = [(f"user-{u}", f"yubl-{y}") for u in range(100) for y in range(200)]
    drawn = [pair for pair in pairs if cap.draws_trim(*pair)]
    assert drawn == [pair for pair in pairs if cap.draws_trim(*pair)]
    # 20,000 draws at 1 in 100: 200 expected, standard deviation 14
    assert 150 <= len(drawn) <= 250
    # spread over users: no post of the 200 trims more than a tenth of its 100 followers
    per_post = Counter(yubl for _, yubl in drawn)
    assert max(per_post.values()) <= 10


def test_feeds_to_trim_lists_each_drawn_user_once_in_order():
    cap = FeedCap(max_items=20, trim_every=1)
    assert cap.feeds_to_trim([("b", "y1"), ("a", "y1"), ("b", "y2")]) == ["b", "a"]


def test_beyond_is_every_key_past_the_newest_max_items():
    cap = FeedCap(max_items=3)
    assert cap.beyond(["y9", "y8", "y7", "y5", "y2"]) == ["y5", "y2"]
    assert cap.beyond(["y9", "y8"]) == []


@pytest.mark.parametrize(
    ("shown_before", "limit", "room"),
    [(0, 7, 7), (14, 7, 6), (20, 7, 0), (25, 7, 0), (0, 100, 20)],
)
def test_visible_never_lets_a_page_past_the_cap(shown_before, limit, room):
    assert FeedCap(max_items=20).visible(shown_before, limit) == room


def test_a_cap_below_one_is_refused():
    with pytest.raises(ValueError, match="at least 1"):
        FeedCap(max_items=0)


# --- the write path and the read path


def test_a_feed_never_holds_more_than_the_cap_after_three_times_the_cap_of_posts():
    # GIVEN a cap of 20 trimmed on every write
    feeds = Feeds(FeedCap(max_items=20, trim_every=1))
    posts = _posts(60)
    newest_first = [p.yubl_id for p in reversed(posts)]
    for n, yubl in enumerate(posts, start=1):
        # WHEN each of 60 posts reaches two followers
        feeds.deliver(yubl, ["f1", "f2"])
        # THEN after every post each feed holds exactly the newest min(n, 20)
        expected = newest_first[60 - n :][:20]
        assert feeds.rows("f1") == feeds.rows("f2") == expected
    assert feeds.shown("f1") == newest_first[:20]
    # and each of the 40 older entries of each feed was deleted once
    assert sorted(feeds.trim_store.deleted) == sorted(
        (f, y) for f in ("f1", "f2") for y in newest_first[20:]
    )
    assert set(feeds.trim_store.deleted.values()) == {1}


def test_between_trims_reads_show_exactly_the_newest_cap_and_a_trim_leaves_exactly_the_cap():
    # GIVEN a cap of 20, one trim in 10 entries (on average)
    feeds = Feeds(FeedCap(max_items=20, trim_every=10))
    followers = [f"f{i:02d}" for i in range(30)]
    posts = _posts(60)
    newest_first = [p.yubl_id for p in reversed(posts)]
    trims_seen = 0
    for n, yubl in enumerate(posts, start=1):
        queried_before = feeds.trim_store.queries
        feeds.deliver(yubl, followers)
        drawn = [f for f in followers if FeedCap(20, 10).draws_trim(f, yubl.yubl_id)]
        trims_seen += len(drawn)
        # THEN a drawn feed is queried once and left holding exactly the newest 20
        assert feeds.trim_store.queries - queried_before == len(drawn)
        for follower in drawn:
            assert feeds.rows(follower) == newest_first[60 - n :][:20]
    # and whatever a feed holds between trims, a reader sees exactly the newest 20
    for follower in followers:
        assert feeds.shown(follower) == newest_first[:20]
        assert feeds.rows(follower)[:20] == newest_first[:20]
    assert trims_seen > 0
    # and nothing was deleted twice or lost: rows + deletes == entries written
    deleted = feeds.trim_store.deleted
    assert set(deleted.values()) == {1}
    assert sum(len(feeds.rows(f)) for f in followers) + len(deleted) == 60 * 30


def test_trimming_costs_a_few_percent_of_the_write_calls_and_only_the_evicted_write_units():
    # GIVEN the defaults (cap 800, one trim in 1,000 entries) and 3x the cap of posts
    cap = FeedCap()
    feeds = Feeds(cap)
    followers = [f"f{i:02d}" for i in range(25)]  # one BatchWriteItem per post
    posts = _posts(3 * cap.max_items)
    for yubl in posts:
        feeds.deliver(yubl, followers)
    entries = len(posts) * len(followers)  # 60,000 write units, 2,400 calls
    assert (feeds.store.writes, feeds.write_calls) == (entries, 2400)
    trims = feeds.trim_store
    # THEN the trims' Queries are about one per 1,000 entries: 60 expected, <= 4% of calls
    assert 0 < trims.queries <= 0.04 * feeds.write_calls
    # and their write units are the evicted entries only, each once, 25 a call, plus
    # at most one part-filled call per group message that trimmed
    assert set(trims.deleted.values()) == {1}
    messages_that_trimmed = sum(
        1 for yubl in posts if cap.feeds_to_trim((f, yubl.yubl_id) for f in followers)
    )
    assert trims.delete_calls <= -(-len(trims.deleted) // 25) + messages_that_trimmed
    # and each trim that deleted marked its feed once (one UpdateItem, one write unit)
    assert 0 < feeds.marks.writes <= trims.queries
    # and no feed is trimmed below the cap: the newest 800 are all there
    newest = [p.yubl_id for p in reversed(posts)][: cap.max_items]
    for follower in followers:
        assert feeds.rows(follower)[: cap.max_items] == newest
    print(
        f"\n{entries} entries in {feeds.write_calls} write calls; trimming: "
        f"{trims.queries} Queries ({trims.queries / feeds.write_calls:.1%} of the write calls), "
        f"{len(trims.deleted)} entries evicted in {trims.delete_calls} calls; "
        f"{feeds.marks.writes} feeds marked cut"
    )


def test_a_trim_marks_exactly_the_feeds_it_cut_short():
    # GIVEN a cap of 2 trimmed on every write; f1 gets 3 posts, f2 only the last
    feeds = Feeds(FeedCap(max_items=2, trim_every=1))
    posts = _posts(3)
    feeds.deliver(posts[0], ["f1"])
    feeds.deliver(posts[1], ["f1"])
    assert feeds.marks.marked == set()  # at the cap, not past it: nothing cut
    feeds.deliver(posts[2], ["f1", "f2"])
    # THEN only f1 lost an entry, and only f1's reads go on past its stored end
    assert feeds.marks.marked == {"f1"}
    assert feeds.trim_store.deleted == Counter({("f1", posts[0].yubl_id): 1})


def test_the_mark_is_made_before_the_deletes_so_a_failed_delete_leaves_it():
    class DeleteFails(InMemoryFeedTrimStore):
        def delete_entries(self, keys):
            raise ConnectionError("DynamoDB is unreachable")

    # GIVEN a feed of 2 entries, a cap of 1, and a table that refuses the delete
    feeds = Feeds(FeedCap(max_items=1, trim_every=1))
    cap = FeedCap(max_items=1, trim_every=1)
    trimmer = FeedTrimmer(DeleteFails(feeds.store), cap, feeds.marks)
    older, newer = _posts(2)
    feeds.store.put_entries(entries_for(older, ["f1"]) + entries_for(newer, ["f1"]))
    # WHEN the trim fails at its delete
    with pytest.raises(ConnectionError):
        trimmer.after_write(newer.yubl_id, ["f1"])
    # THEN the feed is marked all the same: a read past its end never misses a cut
    assert feeds.marks.marked == {"f1"}


def test_a_cursor_not_of_the_capped_feed_is_400_naming_cursor():
    feeds = Feeds(FeedCap(max_items=20, trim_every=1))
    with pytest.raises(InvalidInput) as caught:
        feeds.service.read("f1", 5, "not-a-cursor")
    assert str(caught.value) == "cursor: is not a cursor this API returned"


def test_a_failed_trim_does_not_fail_the_written_record():
    class Broken(InMemoryFeedTrimStore):
        def sort_keys_newest_first(self, user_id):
            raise ConnectionError("DynamoDB is unreachable")

    feeds = Feeds(FeedCap(max_items=1, trim_every=1))
    feeds.trim_store = Broken(feeds.store)
    posts = _posts(2)
    for yubl in posts:
        feeds.deliver(yubl, ["f1"])  # no exception: the entries are written
    assert feeds.rows("f1") == [posts[1].yubl_id, posts[0].yubl_id]
    assert feeds.shown("f1") == [posts[1].yubl_id]  # the read still keeps to the cap
