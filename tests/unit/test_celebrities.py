"""Hybrid fan-out on twins: a celebrity's posts skip the feed fan-out and are merged
into feeds at read time; the threshold crossed either way loses no post."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.adapters.celebrity_memory import (
    InMemoryAuthorIndex,
    InMemoryAuthorPosts,
    InMemoryFeedSource,
    InMemoryPulledPosts,
)
from chalicelib.adapters.cursors import decode_cursor, encode_cursor
from chalicelib.adapters.memory import (
    InMemoryFeedStore,
    InMemoryFollowerStore,
    InMemoryGroupPublisher,
    InMemoryPostStore,
    InMemoryTrimMarks,
)
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.feed import FeedRef
from chalicelib.domain.feed_merge import SourcePage
from chalicelib.domain.posts import Yubl, new_yubl, yubl_posted_event
from chalicelib.domain.routing import RoutingTable
from chalicelib.services.celebrities import CelebrityPolicy, MergedFeedReader, PastEnd
from chalicelib.services.distribution import DistributionService, GroupDelivery
from chalicelib.services.feeds import FeedService

START = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
ROUTING = RoutingTable.declare(
    {"yubl-posted": ["feed", "notifications"]},
    {"feed": "feed-test", "notifications": "notifications-test"},
)
THRESHOLD = 3  # more than 3 followers: a celebrity


class World:
    """The dispatcher, the feed workers and the merged read, all on twins."""

    def __init__(self, visible=None, pulled=None, past_end=False) -> None:
        self.followers = InMemoryFollowerStore()
        self.posts = InMemoryPostStore()
        self.feeds = InMemoryFeedStore()
        self.publisher = InMemoryGroupPublisher()
        self.authors = InMemoryAuthorIndex(self.followers)
        self.pulled = (pulled or InMemoryPulledPosts)(self.posts)
        self.clock = START
        self.dispatcher = DistributionService(
            self.followers,
            self.publisher,
            ROUTING,
            group_size=2,
            clock=lambda: self.clock,
            posts=self.posts,
            celebrities=CelebrityPolicy(self.authors, self.pulled, THRESHOLD),
        )
        extra: dict = {} if visible is None else {"visible": visible}
        self.authored = InMemoryAuthorPosts(self.posts)
        self.marks = InMemoryTrimMarks()
        if past_end:
            extra["past_end"] = PastEnd(self.authored, self.marks)
        self.reader = MergedFeedReader(
            InMemoryFeedSource(self.feeds),
            self.posts,
            self.followers,
            self.authors,
            self.pulled,
            encode_cursor=encode_cursor,
            decode_cursor=decode_cursor,
            following_page=2,
            **extra,
        )
        self.feed = FeedService(self.feeds, self.posts, clock=lambda: self.clock)
        self.delivered = 0
        self.serial = 0

    def follow(self, author: str, *fans: str) -> None:
        for fan in fans:
            self.followers.add(author, fan)

    def post(self, author: str) -> tuple[str, tuple[GroupDelivery, ...]]:
        """Post, dispatch and deliver the feed messages; the yubl id and the deliveries."""
        self.clock += timedelta(seconds=1)
        self.serial += 1
        yubl = new_yubl(author, f"post {self.serial}", now=self.clock, suffix=f"{self.serial:012x}")
        distribution = self.dispatcher.distribute(yubl_posted_event(yubl))
        messages = self.publisher.group("feed").messages
        for message in messages[self.delivered :]:
            self.feed.add_group(message)
        self.delivered = len(messages)
        return yubl.yubl_id, distribution.groups

    def delete(self, author: str, yubl_id: str) -> None:
        self.posts.tombstone(author, yubl_id, "2026-11-23T13:00:00.000Z")

    def read_all(self, user: str, limit: int) -> list[list[str]]:
        pages, cursor = [], None
        while True:
            page = self.feed_read(user, limit, cursor)
            pages.append([entry.yubl.yubl_id for entry in page.items])
            if page.next_cursor is None:
                return pages
            cursor = page.next_cursor

    def feed_read(self, user: str, limit: int, cursor: str | None):
        return FeedService(self.feeds, self.posts, reader=self.reader.read).read(
            user, limit, cursor
        )


FANS = ["fan-1", "fan-2", "fan-3", "fan-4"]


def test_a_celebritys_post_skips_the_feed_fanout_but_not_the_other_groups():
    world = World()
    world.follow("star", *FANS)
    yubl_id, groups = world.post("star")
    assert groups == (
        GroupDelivery("feed", messages=0, batches=0, pulled=True),
        GroupDelivery("notifications", messages=1, batches=1),
    )
    assert world.feeds.entries == {}
    assert world.pulled.flagged == {("star", yubl_id)}
    assert world.authors.pulling() == {"star"}


def test_an_author_at_the_threshold_is_still_fanned_out():
    world = World()
    world.follow("joe", *FANS[:THRESHOLD])
    yubl_id, groups = world.post("joe")
    assert groups[0] == GroupDelivery("feed", messages=2, batches=1, followers=3, lane="priority")
    assert sorted(world.feeds.entries) == [(fan, yubl_id) for fan in FANS[:THRESHOLD]]
    assert world.pulled.flagged == set()


class CountedAuthors(InMemoryAuthorIndex):
    """The authors twin, counting the follower-count reads (one GetItem each)."""

    reads = 0

    def follower_count(self, author_id: str) -> int:
        self.reads += 1
        return super().follower_count(author_id)


@pytest.mark.parametrize(
    ("first", "at_most", "reads", "pulled"),
    [
        (True, 3, 0, False),  # a first attempt that found at most the threshold: no read
        (True, None, 1, True),  # more than a head read shows: the count decides
        (False, 3, 1, True),  # a retry: the count (and any earlier decision) decides
    ],
)
def test_a_first_attempt_that_found_few_followers_decides_without_the_count(
    first, at_most, reads, pulled
):
    # GIVEN an author whose stored count says 4 followers, over the threshold of 3
    followers, posts = InMemoryFollowerStore(), InMemoryPostStore()
    for fan in FANS:
        followers.add("star", fan)
    authors = CountedAuthors(followers)
    policy = CelebrityPolicy(authors, InMemoryPulledPosts(posts), THRESHOLD)
    yubl = new_yubl("star", "hi", now=START)
    posts.put(yubl)
    # THEN only the count, when read, makes the post pulled
    assert policy.pulls(yubl, first=first, at_most=at_most) is pulled
    assert authors.reads == reads


def test_merged_feed_pages_are_stable_with_celebrities_ordinary_authors_and_deletes():
    # GIVEN a reader following two celebrities and two ordinary authors, and a
    # celebrity the reader does not follow
    world = World()
    reader = "reader"
    for star in ["star-a", "star-b", "star-x"]:
        world.follow(star, *FANS)
    world.follow("star-a", reader)
    world.follow("star-b", reader)
    world.follow("joe", reader)
    world.follow("amy", reader, "fan-1")
    posted: list[tuple[str, str]] = []
    for author in ["joe", "star-a", "amy", "star-x", "star-b", "star-a", "joe", "amy"] * 3:
        posted.append((author, world.post(author)[0]))
    # AND some posts deleted, pulled and fanned-out ones alike
    deleted = {posted[1], posted[2], posted[12], posted[20]}
    for author, yubl_id in deleted:
        world.delete(author, yubl_id)
    # WHEN the feed is read three at a time
    pages = world.read_all(reader, 3)
    # THEN every followed, live post once, newest first (computed from the posting log)
    expected = [
        yubl_id
        for author, yubl_id in reversed(posted)
        if author != "star-x" and (author, yubl_id) not in deleted
    ]
    assert [y for page in pages for y in page] == expected
    assert len(expected) == 24 - 3 - 4  # star-x posted 3, 4 deleted
    # AND only the celebrities' posts were left out of the stored feed
    stored = sorted(y for (user, y) in world.feeds.entries if user == reader)
    assert stored == sorted(y for a, y in posted if a in ("joe", "amy"))


def test_crossing_the_threshold_both_ways_loses_no_post():
    world = World()
    world.follow("riser", "reader", "fan-1")
    before, _ = world.post("riser")  # 2 followers: fanned out
    world.follow("riser", "fan-2", "fan-3")
    during, groups = world.post("riser")  # 4 followers: pulled
    assert groups[0].pulled
    world.followers.remove("riser", "fan-2")
    world.followers.remove("riser", "fan-3")
    after, groups = world.post("riser")  # 2 again: fanned out
    assert not groups[0].pulled
    assert world.read_all("reader", 10) == [[after, during, before]]
    assert world.read_all("reader", 1) == [[after], [during], [before]]
    # the post pulled while the author was a celebrity stays pulled on a replay
    replay = yubl_posted_event(world.posts.posts[("riser", during)])
    assert world.dispatcher.distribute(replay).groups[0].pulled


def test_a_post_fanned_out_in_part_before_the_author_crossed_is_read_once():
    # GIVEN a post fanned out, then its record retried after the author became a celebrity
    world = World()
    world.follow("riser", "reader")
    yubl_id, _ = world.post("riser")
    world.follow("riser", *FANS)
    replayed = world.dispatcher.distribute(yubl_posted_event(world.posts.posts[("riser", yubl_id)]))
    # THEN the retry pulls it, and the reader, who has it in both sources, sees it once
    assert replayed.groups[0].pulled
    assert ("reader", yubl_id) in world.feeds.entries
    assert world.read_all("reader", 5) == [[yubl_id]]


def test_the_mute_hook_filters_the_merged_references():
    muted: list[Sequence[FeedRef]] = []

    def without_star(user: str, refs: Sequence[FeedRef]) -> list[FeedRef]:
        muted.append(refs)
        return [r for r in refs if r.author_id != "star"]

    world = World(visible=without_star)
    world.follow("star", *FANS, "reader")
    world.follow("joe", "reader")
    world.post("star")
    joe, _ = world.post("joe")
    assert world.read_all("reader", 5) == [[joe]]
    assert [r.author_id for r in muted[0]] == ["joe", "star"]


def test_no_follow_list_is_read_while_nobody_is_a_celebrity():
    world = World()
    world.follow("joe", "reader")
    joe, _ = world.post("joe")
    assert world.reader.followed_celebrities("reader") == set()
    assert world.read_all("reader", 5) == [[joe]]
    assert world.pulled.pages_read == 0


def test_a_cursor_that_is_not_ours_is_bad_input():
    with pytest.raises(InvalidInput) as caught:
        World().feed_read("reader", 5, "not-a-cursor")
    assert caught.value.field == "cursor"


def test_a_cursor_of_the_plain_feed_read_still_works():
    world = World()
    world.follow("joe", "reader")
    ids = [world.post("joe")[0] for _ in range(3)]
    page = world.feed_read("reader", 1, encode_cursor(ids[2]))
    assert [e.yubl.yubl_id for e in page.items] == [ids[1]]


def test_the_first_attempt_does_not_look_up_an_earlier_decision_but_a_retry_does():
    class CountingPulled(InMemoryPulledPosts):
        lookups = 0

        def is_pulled(self, author_id: str, yubl_id: str) -> bool:
            self.lookups += 1
            return super().is_pulled(author_id, yubl_id)

    world = World(pulled=CountingPulled)
    world.follow("joe", "reader")
    yubl_id, _ = world.post("joe")
    assert world.pulled.lookups == 0
    world.dispatcher.distribute(yubl_posted_event(world.posts.posts[("joe", yubl_id)]))
    assert world.pulled.lookups == 1


def _cap(world: World, user: str, keep: int) -> None:
    """Trim a feed to its newest ``keep`` entries, marked cut, as the trimmer does."""
    mine = sorted((y for (u, y) in world.feeds.entries if u == user), reverse=True)
    world.marks.mark_trimmed([user])
    for yubl_id in mine[keep:]:
        del world.feeds.entries[(user, yubl_id)]


def test_past_the_end_of_a_capped_feed_the_followed_authors_older_posts_carry_on():
    # GIVEN a reader whose feed was capped at 3 entries, following an ordinary author
    # and a celebrity, with a deleted post among the older ones
    world = World(past_end=True)
    world.follow("star", *FANS, "reader")
    world.follow("joe", "reader")
    world.follow("amy", "someone-else")
    posted = [(a, world.post(a)[0]) for a in ["joe", "star", "amy", "joe"] * 3]
    _cap(world, "reader", 3)
    world.delete(*posted[4])
    # WHEN the reader reads the whole feed, two at a time
    pages = world.read_all("reader", 2)
    # THEN every live post of the authors followed, newest first, once
    expected = [y for a, y in reversed(posted) if a != "amy" and (a, y) != posted[4]]
    assert [y for page in pages for y in page] == expected
    assert len(expected) == 12 - 3 - 1
    assert all(len(page) == 2 for page in pages[:-1])


def test_without_past_end_a_capped_feed_ends_at_its_cap():
    world = World()
    world.follow("joe", "reader")
    posted = [world.post("joe")[0] for _ in range(5)]
    _cap(world, "reader", 2)
    assert world.read_all("reader", 10) == [[posted[4], posted[3]]]
    assert world.authored.pages_read == 0


def test_a_cut_feed_emptied_since_carries_on_with_the_followed_authors_posts():
    # GIVEN a feed cut by a trim once, whose entries all went since (an unfollow)
    world = World(past_end=True)
    joe = [world.post("joe")[0] for _ in range(3)]  # before anyone followed joe
    world.follow("joe", "reader")
    _cap(world, "reader", 0)
    assert world.read_all("reader", 2) == [[joe[2], joe[1]], [joe[0]]]


def test_a_feed_never_cut_ends_at_its_oldest_entry_for_one_mark_lookup():
    # GIVEN joe's posts from before the reader followed him: not in the feed
    world = World(past_end=True)
    for _ in range(3):
        world.post("joe")
    world.follow("joe", "reader")
    fanned_out = [world.post("joe")[0] for _ in range(2)]
    # THEN the feed ends where its fan-out began: no author is queried
    assert world.read_all("reader", 5) == [fanned_out[::-1]]
    assert (world.authored.pages_read, world.marks.lookups) == (0, 1)


def test_inside_the_stored_feed_no_author_query_is_made():
    world = World(past_end=True)
    world.follow("joe", "reader")
    posted = [world.post("joe")[0] for _ in range(5)]
    _cap(world, "reader", 5)
    page = world.feed_read("reader", 2, None)
    assert [e.yubl.yubl_id for e in page.items] == [posted[4], posted[3]]
    assert (world.authored.pages_read, world.marks.lookups) == (0, 0)


def test_past_the_end_starts_below_the_oldest_stored_entry_the_feed_rules_above_it():
    # GIVEN joe's post from before amy was followed, newer than the feed's oldest entry
    world = World(past_end=True)
    world.follow("joe", "reader")
    old = world.post("amy")[0]  # not in the feed: older than all of it, shown past the end
    first = world.post("joe")[0]
    between = world.post("amy")[0]  # not in the feed, inside its range: not shown
    last = world.post("joe")[0]
    world.follow("amy", "reader")
    _cap(world, "reader", 2)
    # THEN the set is the stored feed, then what is older than its oldest entry
    assert world.read_all("reader", 10) == [[last, first, old]]
    assert between not in {y for (_, y) in world.feeds.entries}


def test_an_event_that_does_not_route_to_the_feed_asks_nothing_about_celebrities():
    world = World()
    world.follow("star", *FANS)
    notify_only = RoutingTable.declare(
        {"yubl-posted": ["notifications"]}, {"notifications": "notifications-test"}
    )
    dispatcher = DistributionService(
        world.followers,
        world.publisher,
        notify_only,
        group_size=2,
        clock=lambda: START,
        posts=world.posts,
        celebrities=CelebrityPolicy(world.authors, world.pulled, THRESHOLD),
    )
    yubl = new_yubl("star", "hi", now=START, suffix="0" * 12)
    dispatcher.distribute(yubl_posted_event(yubl))
    assert (world.authors.pulling(), world.pulled.flagged) == (set(), set())


def test_a_pulled_post_deleted_a_moment_ago_is_not_shown_though_the_index_still_lists_it():
    class LaggingPulled(InMemoryPulledPosts):
        """The pulled index a moment behind the table (a GSI is eventually consistent):
        it still lists the posts as they were when marked."""

        def __init__(self, posts: InMemoryPostStore) -> None:
            super().__init__(posts)
            self.copies: dict[tuple[str, str], Yubl] = {}

        def before(self, author_id: str, limit: int, before: str | None) -> SourcePage[Yubl]:
            keys = sorted((y for a, y in self.flagged if a == author_id), reverse=True)
            return SourcePage([self.copies[(author_id, y)] for y in keys[:limit]], False)

        def mark(self, author_id: str, yubl_id: str) -> None:
            super().mark(author_id, yubl_id)
            self.copies[(author_id, yubl_id)] = self._posts.posts[(author_id, yubl_id)]

    # GIVEN a celebrity's pulled post in a fan's merged feed
    world = World(pulled=LaggingPulled)
    world.follow("star", *FANS)
    yubl_id, _ = world.post("star")
    assert world.read_all("fan-1", 10) == [[yubl_id]]
    # WHEN the API marks it deleted, the index not caught up yet
    world.posts.mark_deleted("star", yubl_id, "2026-11-23T13:00:00.000Z")
    # THEN the read leaves it out: the posts table, not the index, decides
    assert world.read_all("fan-1", 10) == [[]]
