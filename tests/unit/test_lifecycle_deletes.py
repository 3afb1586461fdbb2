"""Deleting a yubl on the twins: the API's event, the dispatcher's tombstone, the reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.adapters.memory import (
    InMemoryEventPublisher,
    InMemoryFeedStore,
    InMemoryFollowerStore,
    InMemoryGroupPublisher,
    InMemoryPostStore,
    InMemoryUserDirectory,
)
from chalicelib.domain.deletes import yubl_deleted, yubl_deleted_event
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.posts import Yubl, new_yubl, yubl_posted_event
from chalicelib.domain.routing import RoutingTable
from chalicelib.services.distribution import DistributionService
from chalicelib.services.feeds import FeedService
from chalicelib.services.notifications import NotificationService
from chalicelib.services.posting import PostingService
from chalicelib.services.removals import RemovalService

NOW = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)
FOLLOWERS = ["bob", "carol", "dave"]


class Flow:
    def __init__(self) -> None:
        followers = InMemoryFollowerStore()
        for follower in FOLLOWERS:
            followers.add("alice", follower)
        self.posts = InMemoryPostStore()
        self.groups = InMemoryGroupPublisher()
        self.feeds = InMemoryFeedStore()
        self.dispatcher = DistributionService(
            followers,
            self.groups,
            RoutingTable.declare({"yubl-posted": ["feed"]}, {"feed": "feed-test"}),
            group_size=100,
            clock=lambda: NOW,
            posts=self.posts,
        )
        self.feed = FeedService(self.feeds, self.posts, clock=lambda: NOW)

    def deliver(self) -> None:
        for message in self.groups.group("feed").messages:
            self.feed.add_group(message)

    def written(self) -> tuple[object, ...]:
        """Everything the flow's twins hold: posts, tombstones and their mentions, every
        group's published batches, every feed write."""
        batches = {name: list(g.batches) for name, g in self.groups.groups.items()}
        posts = self.posts
        return (
            dict(posts.posts),
            set(posts.deleted),
            dict(posts.mentions),
            batches,
            dict(self.feeds.write_counts),
        )

    def read(self, user: str) -> list[str]:
        return [e.yubl.yubl_id for e in self.feed.read(user, 10, None).items]


def _post():
    return new_yubl("alice", "soon gone", now=NOW, suffix="0123456789ab")


def _delete(yubl_id: str, now: datetime = NOW):
    return yubl_deleted_event(yubl_deleted("alice", yubl_id, now=now))


def test_a_deleted_post_vanishes_from_every_read_at_once():
    flow, yubl = Flow(), _post()
    flow.dispatcher.distribute(yubl_posted_event(yubl))
    flow.deliver()
    assert [flow.read(f) for f in FOLLOWERS] == [[yubl.yubl_id]] * 3

    flow.dispatcher.distribute(_delete(yubl.yubl_id, NOW + timedelta(seconds=1)))
    # the three entries are still in the feeds table, yet no read shows the post
    assert len(flow.feeds.entries) == 3
    assert [flow.read(f) for f in FOLLOWERS] == [[], [], []]


def test_a_delete_read_before_its_post_wins_and_the_post_is_never_fanned_out():
    flow, yubl = Flow(), _post()
    flow.dispatcher.distribute(_delete(yubl.yubl_id))
    result = flow.dispatcher.distribute(yubl_posted_event(yubl))
    flow.deliver()
    assert result.groups == ()
    assert flow.groups.group("feed").batches == []
    assert flow.feeds.entries == {}
    assert [flow.read(f) for f in FOLLOWERS] == [[], [], []]


def test_a_replayed_post_is_fanned_out_again_but_stored_once():
    """The post store's answers show a second store (its dict, keyed by post, would not):
    the replay's put stores nothing. The feed writes are counted in the twin: each entry
    written twice (at-least-once), one row each."""
    flow, yubl = Flow(), _post()
    answers: list[bool] = []
    store = flow.posts.put

    def put(yubl: Yubl) -> bool:
        answers.append(store(yubl))
        return answers[-1]

    flow.posts.put = put  # type: ignore[method-assign]
    flow.dispatcher.distribute(yubl_posted_event(yubl))
    flow.dispatcher.distribute(yubl_posted_event(yubl))
    flow.deliver()
    assert answers == [True, False]
    assert flow.posts.posts == {("alice", yubl.yubl_id): yubl}
    assert sorted(flow.feeds.write_counts.values()) == [2, 2, 2]  # overwrites, one row each
    assert len(flow.feeds.entries) == 3


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"yubl": {"yubl_id": "nope", "author_id": "alice", "deleted_at": "x"}}, "yubl.yubl_id"),
        (
            {"yubl": {"yubl_id": "1767225600000-0123456789ab", "author_id": "a b"}},
            "yubl.author_id",
        ),
        (
            {
                "yubl": {
                    "yubl_id": "1767225600000-0123456789ab",
                    "author_id": "alice",
                    "deleted_at": "2030-01-01T00:00:00.000Z",
                }
            },
            "yubl.deleted_at",
        ),
        ({"yubl": "x"}, "yubl"),
    ],
)
def test_an_invalid_delete_event_writes_nothing_and_names_the_field(change, field):
    """Compares every twin the dispatcher holds: a tombstone, a mention kept, a message to
    any group or a feed write before the refusal would each show."""
    flow, yubl = Flow(), _post()
    flow.dispatcher.distribute(yubl_posted_event(yubl))
    before = flow.written()
    with pytest.raises(InvalidInput) as caught:
        flow.dispatcher.distribute({**_delete(yubl.yubl_id), **change})
    assert caught.value.field == field
    assert flow.written() == before


def _api(flow: Flow | None = None, clock: datetime = NOW) -> tuple[PostingService, list]:
    """The posts API's service over the flow's posts table; the events it publishes."""
    events = InMemoryEventPublisher()
    posts = flow.posts if flow is not None else InMemoryPostStore()
    return PostingService(events, posts, clock=lambda: clock), events.published


def _deleted_event(yubl_id: str, deleted_at: str) -> tuple[str, dict]:
    wire = {"yubl_id": yubl_id, "author_id": "alice", "deleted_at": deleted_at}
    return ("alice", {"type": "yubl-deleted", "yubl": wire})


def test_the_api_publishes_the_delete_keyed_by_author():
    api, published = _api()
    deleted = api.delete("alice", _post().yubl_id)
    assert published == [_deleted_event(_post().yubl_id, "2026-11-23T15:30:00.000Z")]
    assert deleted.deleted_at == "2026-11-23T15:30:00.000Z"


def test_a_bad_yubl_id_is_refused_before_anything_is_written_or_published():
    flow = Flow()
    api, published = _api(flow)
    with pytest.raises(InvalidInput) as caught:
        api.delete("alice", "42")
    assert (caught.value.field, published) == ("yubl_id", [])
    assert flow.posts.deleted == set()


def test_the_api_delete_hides_the_post_before_the_dispatcher_reads_the_delete():
    # GIVEN a post in three feeds
    flow, yubl = Flow(), _post()
    flow.dispatcher.distribute(yubl_posted_event(yubl))
    flow.deliver()
    assert [flow.read(f) for f in FOLLOWERS] == [[yubl.yubl_id]] * 3
    # WHEN the author deletes it through the API, and the dispatcher has not read it yet
    api, published = _api(flow, NOW + timedelta(seconds=1))
    api.delete("alice", yubl.yubl_id)
    # THEN no read shows it, though its entries and its text are still stored
    assert [flow.read(f) for f in FOLLOWERS] == [[], [], []]
    assert len(flow.feeds.entries) == 3
    assert flow.posts.stored("alice", yubl.yubl_id) == yubl
    assert published == [_deleted_event(yubl.yubl_id, "2026-11-23T15:30:01.000Z")]


def test_a_second_delete_keeps_the_first_time_and_publishes_the_same_event():
    flow, yubl = Flow(), _post()
    flow.dispatcher.distribute(yubl_posted_event(yubl))
    first = _api(flow, NOW + timedelta(seconds=1))[0].delete("alice", yubl.yubl_id)
    # WHEN the delete is sent again a minute later (a client's retry)
    api, published = _api(flow, NOW + timedelta(minutes=1))
    again = api.delete("alice", yubl.yubl_id)
    # THEN it answers the first one's time, and its event is the first one's
    assert again == first
    assert flow.posts.deleted_at == {("alice", yubl.yubl_id): "2026-11-23T15:30:01.000Z"}
    assert published == [_deleted_event(yubl.yubl_id, "2026-11-23T15:30:01.000Z")]


def test_an_api_delete_before_the_dispatcher_stored_the_post_keeps_it_out():
    # GIVEN a delete through the API of a post the dispatcher has not read yet
    flow, yubl = Flow(), _post()
    api, published = _api(flow)
    api.delete("alice", yubl.yubl_id)
    # WHEN the dispatcher reads the post, then the delete
    result = flow.dispatcher.distribute(yubl_posted_event(yubl))
    flow.dispatcher.distribute(published[0][1])
    flow.deliver()
    # THEN the post was neither stored nor fanned out, and no read shows it
    assert result.groups == ()
    assert flow.posts.stored("alice", yubl.yubl_id) is None
    assert flow.feeds.entries == {}
    assert [flow.read(f) for f in FOLLOWERS] == [[], [], []]


def test_the_mentions_are_still_removed_after_an_api_delete():
    # GIVEN a post that notified the two users it mentions
    posts, groups, notifications = (
        InMemoryPostStore(),
        InMemoryGroupPublisher(),
        InMemoryFeedStore(),
    )
    routes = {"yubl-posted": ["notifications"], "yubl-deleted": ["notifications"]}
    dispatcher = DistributionService(
        InMemoryFollowerStore(),
        groups,
        RoutingTable.declare(routes, {"notifications": "notifications-test"}),
        group_size=100,
        clock=lambda: NOW,
        posts=posts,
    )
    notifier = NotificationService(notifications, posts, InMemoryUserDirectory(), clock=lambda: NOW)
    yubl = new_yubl("alice", "hi @bob and @carol", now=NOW, suffix="0123456789ab")
    dispatcher.distribute(yubl_posted_event(yubl))
    notifier.notify(groups.group("notifications").messages[0])
    assert [e.yubl.yubl_id for e in notifier.read("bob", 10, None).items] == [yubl.yubl_id]
    # WHEN the author deletes it through the API
    PostingService(InMemoryEventPublisher(), posts, clock=lambda: NOW).delete("alice", yubl.yubl_id)
    # THEN the notifications no longer show it at once
    assert notifier.read("bob", 10, None).items == []
    # AND the dispatcher's delete still names both users, whose notifications then go
    dispatcher.distribute(yubl_deleted_event(yubl_deleted("alice", yubl.yubl_id, now=NOW)))
    message = groups.group("notifications").messages[-1]
    assert message["mentions"] == ["bob", "carol"]
    RemovalService(notifications, clock=lambda: NOW).remove_mentions(message)
    assert notifications.entries == {}
    assert posts.stored("alice", yubl.yubl_id) is None  # the text went with the tombstone
