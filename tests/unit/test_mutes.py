"""Mutes on in-memory twins: the rules, the service, and the feed's writes and reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.adapters.memory import InMemoryFeedStore, InMemoryMuteStore, InMemoryPostStore
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.fanout import group_message
from chalicelib.domain.mutes import check_mute
from chalicelib.domain.posts import new_yubl
from chalicelib.services.feeds import FeedService
from chalicelib.services.mutes import MuteService

START = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
NOW = START + timedelta(hours=1)


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
    def __init__(self) -> None:
        self.store = InMemoryFeedStore()
        self.posts = InMemoryPostStore()
        self.mutes = InMemoryMuteStore()
        self.service = FeedService(self.store, self.posts, clock=lambda: NOW, mutes=self.mutes)
        self.count = 0

    def post(self, author: str, followers: list[str]):
        self.count += 1
        yubl = new_yubl(author, "hi", now=START + timedelta(seconds=self.count))
        self.posts.put(yubl)
        return yubl, self.service.add_group(group_message(yubl, followers))

    def shown(self, user: str) -> list[str]:
        return [e.yubl.yubl_id for e in self.service.read(user, 100, None).items]


def test_the_fan_out_leaves_out_followers_who_mute_the_author_with_one_query_a_group():
    feed = Feed()
    feed.mutes.add("f2", "star")
    feed.mutes.add("f4", "star")
    feed.mutes.add("f3", "other")  # mutes someone else: still gets star's posts
    feed.mutes.add("zz", "star")  # outside the group
    followers = ["f1", "f2", "f3", "f4", "f5"]
    yubl, written = feed.post("star", followers)
    assert sorted(feed.store.entries) == [(f, yubl.yubl_id) for f in ["f1", "f3", "f5"]]
    assert (written.followers, written.muted) == (("f1", "f3", "f5"), 2)
    assert feed.mutes.range_queries == 1


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
