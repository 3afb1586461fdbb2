"""Mutes on in-memory twins: the rules, the service, and the feed's writes and reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.adapters.memory import (
    InMemoryFeedStore,
    InMemoryFollowerStore,
    InMemoryGroupPublisher,
    InMemoryMuteStore,
    InMemoryPostStore,
)
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.mutes import check_mute
from chalicelib.domain.posts import Yubl, new_yubl, yubl_posted_event
from chalicelib.domain.routing import RoutingTable
from chalicelib.services.distribution import DistributionService
from chalicelib.services.feeds import FeedService, FeedWrite
from chalicelib.services.mutes import MuteService

START = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
NOW = START + timedelta(hours=1)
FEED_ONLY = RoutingTable.declare({"yubl-posted": ["feed"]}, {"feed": "feed-test"})


@pytest.mark.parametrize(
    ("user", "author", "error"),
    [
        ("ann", "ann", "author_id: a user cannot mute themselves"),
        ("ann", "b@d", "author_id: must be 1-64 characters of A-Z, a-z, 0-9, '_' or '-'"),
        ("ann", "", "author_id: must be 1-64 characters of A-Z, a-z, 0-9, '_' or '-'"),
        ("a" * 65, "bob", "user_id: must be 1-64 characters of A-Z, a-z, 0-9, '_' or '-'"),
        ("ann", 7, "author_id: must be a string"),
    ],
)
def test_a_bad_mute_is_refused_naming_the_field_and_changes_nothing(user, author, error):
    store = InMemoryMuteStore()
    for call in (MuteService(store).mute, MuteService(store).unmute):
        with pytest.raises(InvalidInput) as caught:
            call(user, author)
        assert str(caught.value) == error
    assert store.mutes == set()


def test_check_mute_gives_the_pair():
    assert check_mute("ann", "bob") == ("ann", "bob")


def test_mute_unmute_and_list_in_id_order_with_paging():
    store = InMemoryMuteStore()
    service = MuteService(store)
    for author in ["cy", "al", "bo", "al"]:  # a repeat mute is no second mute
        service.mute("ann", author)
    service.mute("zed", "al")  # another user's mutes stay apart
    first = service.muted("ann", 2, None)
    assert first.items == ["al", "bo"]
    second = service.muted("ann", 2, first.next_cursor)
    assert (second.items, second.next_cursor) == (["cy"], None)
    service.unmute("ann", "bo")
    service.unmute("ann", "never-muted")  # unmuting what is not muted is no error
    assert service.muted("ann", 10, None).items == ["al", "cy"]


class Feed:
    """The dispatcher and the feed's worker on twins, with the mutes both may ask."""

    def __init__(self) -> None:
        self.store = InMemoryFeedStore()
        self.posts = InMemoryPostStore()
        self.mutes = InMemoryMuteStore()
        self.followers = InMemoryFollowerStore()
        self.publisher = InMemoryGroupPublisher()
        self.dispatcher = DistributionService(
            self.followers,
            self.publisher,
            FEED_ONLY,
            group_size=2,
            posts=self.posts,
            clock=lambda: NOW,
            mutes=self.mutes,
        )
        self.service = FeedService(self.store, self.posts, clock=lambda: NOW, mutes=self.mutes)
        self.count = 0

    def plan(self, author: str, followers: list[str]) -> tuple[Yubl, list[dict]]:
        """A post distributed: its feed messages, not delivered yet."""
        self.count += 1
        yubl = new_yubl(author, "hi", now=START + timedelta(seconds=self.count))
        for follower in followers:
            self.followers.add(author, follower)
        sent = len(self.publisher.group("feed").messages)
        self.dispatcher.distribute(yubl_posted_event(yubl))
        return yubl, self.publisher.group("feed").messages[sent:]

    def post(self, author: str, followers: list[str]) -> tuple[Yubl, list[FeedWrite]]:
        yubl, messages = self.plan(author, followers)
        return yubl, [self.service.add_group(message) for message in messages]

    def shown(self, user: str) -> list[str]:
        return [e.yubl.yubl_id for e in self.service.read(user, 100, None).items]


def test_the_plan_leaves_out_followers_who_mute_the_author_with_one_query_a_post():
    feed = Feed()
    feed.mutes.add("f2", "star")
    feed.mutes.add("f4", "star")
    feed.mutes.add("f3", "other")  # mutes someone else: still gets star's posts
    feed.mutes.add("zz", "star")  # not a follower
    # WHEN star posts to five followers, in groups of two
    yubl, messages = feed.plan("star", ["f1", "f2", "f3", "f4", "f5"])
    # THEN the messages carry only the three who do not mute star, after one mutes Query
    assert [m["followers"] for m in messages] == [["f1", "f3"], ["f5"]]
    assert feed.mutes.range_queries == 1
    # AND their workers write them without asking the mutes again
    written = [feed.service.add_group(m) for m in messages]
    assert sorted(feed.store.entries) == [(f, yubl.yubl_id) for f in ["f1", "f3", "f5"]]
    assert [w.muted for w in written] == [0, 0]
    assert feed.mutes.range_queries == 1


def test_a_message_of_the_shape_before_version_2_is_filtered_by_its_worker_with_one_query():
    # GIVEN a version 1 message, parked before its muters were left out by the plan
    feed = Feed()
    feed.mutes.add("f2", "star")
    yubl = new_yubl("star", "hi", now=START)
    feed.posts.put(yubl)
    old = {"type": "feed-fanout", "yubl": yubl.to_wire(), "followers": ["f1", "f2", "f3"]}
    # WHEN its worker takes it
    written = feed.service.add_group(old)
    # THEN the worker leaves the muter out itself, with one Query over the group's ids
    assert (written.followers, written.muted) == (("f1", "f3"), 1)
    assert feed.mutes.range_queries == 1


def test_a_mute_between_planning_and_writing_is_written_as_planned_and_hidden_on_read():
    # GIVEN a post planned while ann did not mute its author
    feed = Feed()
    yubl, [message] = feed.plan("star", ["ann"])
    # WHEN ann mutes star before the worker writes
    MuteService(feed.mutes).mute("ann", "star")
    feed.service.add_group(message)
    # THEN the plan wins the write: the entry is in ann's feed, written once ...
    assert feed.store.write_counts == {("ann", yubl.yubl_id): 1}
    # ... and the mute wins the read: not shown while the mute lasts, shown after unmute
    assert feed.shown("ann") == []
    MuteService(feed.mutes).unmute("ann", "star")
    assert feed.shown("ann") == [yubl.yubl_id]


def test_entries_written_before_a_mute_are_hidden_on_read_and_back_after_unmute():
    feed = Feed()
    old_star, _ = feed.post("star", ["ann"])
    old_other, _ = feed.post("other", ["ann"])
    assert feed.shown("ann") == [old_other.yubl_id, old_star.yubl_id]
    MuteService(feed.mutes).mute("ann", "star")
    new_star, _ = feed.post("star", ["ann"])
    # THEN the old entry is in the table, but not shown; the new one was never written
    assert (("ann", old_star.yubl_id) in feed.store.entries) is True
    assert ("ann", new_star.yubl_id) not in feed.store.entries
    assert feed.shown("ann") == [old_other.yubl_id]
    # and one lookup of the page's two authors
    assert feed.mutes.keys_looked_up == 2 + 2  # the read before the mute, and this one
    MuteService(feed.mutes).unmute("ann", "star")
    assert feed.shown("ann") == [old_other.yubl_id, old_star.yubl_id]
