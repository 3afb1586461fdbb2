"""The feed's lifecycle events on the twins: a delete routed to the feed, notifications
and archive groups; a follow's backfill and an unfollow's removal, each against the
relationship's state when it is handled; bad events refused before the first write."""

from __future__ import annotations

import copy
import json
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.adapters.memory import (
    InMemoryArchiveStore,
    InMemoryEventPublisher,
    InMemoryFailureSink,
    InMemoryFanoutProgress,
    InMemoryFeedStore,
    InMemoryFollowerStore,
    InMemoryGroupPublisher,
    InMemoryPostStore,
    InMemoryUserDirectory,
)
from chalicelib.domain.deletes import yubl_deleted, yubl_deleted_event
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.posts import Yubl, new_yubl, yubl_posted_event
from chalicelib.domain.relationships_events import relationship_change, relationship_event
from chalicelib.domain.routing import RoutingTable
from chalicelib.events.feed_remover import by_feed_message_type, feed_remover
from chalicelib.events.feed_writer import feed_writer
from chalicelib.services.archive import ArchiveService
from chalicelib.services.distribution import DistributionService
from chalicelib.services.feeds import FeedService
from chalicelib.services.following import FollowingService
from chalicelib.services.notifications import NotificationService
from chalicelib.services.relationship_changes import RelationshipChangeService
from chalicelib.services.removals import RemovalService
from chalicelib.streams.policies import retry_then_park
from chalicelib.streams.processor import StreamProcessor
from tests.aws_samples import kinesis_event, kinesis_record

NOW = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)
GROUPS = ("feed", "notifications", "archive")
ROUTING = RoutingTable.declare(
    {"yubl-posted": list(GROUPS), "yubl-deleted": list(GROUPS)},
    {group: f"{group}-test" for group in GROUPS},
)
FOLLOWERS = [f"fan-{i:03d}" for i in range(7)]


def _clock() -> datetime:
    return NOW


class Flow:
    """The dispatcher and every group's consumer on twins; ``deliver`` runs the consumers
    over what each topic got since the last call."""

    def __init__(self, group_size: int = 3) -> None:
        self.followers = InMemoryFollowerStore()
        for follower in FOLLOWERS:
            self.followers.add("alice", follower)
        self.posts = InMemoryPostStore()
        self.publisher = InMemoryGroupPublisher()
        self.progress = InMemoryFanoutProgress()
        self.dispatcher = DistributionService(
            self.followers,
            self.publisher,
            ROUTING,
            group_size=group_size,
            progress=self.progress,
            clock=_clock,
            posts=self.posts,
        )
        self.feeds, self.notifications = InMemoryFeedStore(), InMemoryFeedStore()
        self.archive = InMemoryArchiveStore()
        feed = FeedService(self.feeds, self.posts, clock=_clock)
        self.feed_handler = by_feed_message_type(
            add=feed_writer(lambda: feed, margin_ms=lambda: 0),
            remove=feed_remover(lambda: RemovalService(self.feeds, _clock), lambda: 0),
        )
        self.notify = NotificationService(
            self.notifications, self.posts, InMemoryUserDirectory(), clock=_clock
        )
        self.unnotify = RemovalService(self.notifications, clock=_clock)
        self.archiver = ArchiveService(
            self.archive, clock=_clock, batch_ids=iter("abcdef").__next__
        )
        self.seen = dict.fromkeys(GROUPS, 0)
        self.changes = RelationshipChangeService(
            self.followers, self.feeds, self.posts, backfill_posts=3, clock=_clock
        )

    def deliver(self) -> None:
        got = {group: self.publisher.group(group).messages for group in GROUPS}
        new = {group: got[group][self.seen[group] :] for group in GROUPS}
        self.seen = {group: len(got[group]) for group in GROUPS}
        for message in new["feed"]:
            self.feed_handler(message)
        for message in new["notifications"]:
            if message["type"] == "yubl-deleted":
                self.unnotify.remove_mentions(message)
            else:
                self.notify.notify(message)
        for event_type in ("yubl-posted", "yubl-deleted"):
            lines = [self.archiver.line_of(m) for m in new["archive"] if m["type"] == event_type]
            if lines:
                self.archiver.write(lines, event_type)


def _post(author: str = "alice", text: str = "hi @bob and @carol", at: datetime = NOW) -> Yubl:
    return new_yubl(author, text, now=at)


def _delete(yubl: Yubl) -> dict:
    return dict(yubl_deleted_event(yubl_deleted(yubl.author_id, yubl.yubl_id, now=NOW)))


def test_a_delete_removes_every_feed_entry_and_notification_and_is_archived():
    flow, yubl = Flow(), _post()
    flow.dispatcher.distribute(yubl_posted_event(yubl))
    flow.deliver()
    assert sorted(flow.feeds.entries) == [(f, yubl.yubl_id) for f in FOLLOWERS]
    assert sorted(flow.notifications.entries) == [("bob", yubl.yubl_id), ("carol", yubl.yubl_id)]

    delivered = flow.dispatcher.distribute(_delete(yubl))
    # THEN the feed group got each follower once, in groups of 3; the others the event once
    removals = flow.publisher.group("feed").messages[3:]
    assert [m["type"] for m in removals] == ["feed-remove"] * 3
    assert [f for m in removals for f in m["followers"]] == FOLLOWERS
    [note] = flow.publisher.group("notifications").messages[1:]
    assert (note["event_id"], note["mentions"]) == (
        f"yubl-deleted:{yubl.yubl_id}",
        ["bob", "carol"],
    )
    assert [(g.group, g.messages) for g in delivered.groups] == [
        ("feed", 3),
        ("notifications", 1),
        ("archive", 1),
    ]
    flow.deliver()
    assert flow.feeds.entries == {}
    assert flow.notifications.entries == {}
    [deleted_key] = [k for k in flow.archive.objects if k.startswith("events/yubl-deleted/")]
    assert deleted_key == "events/yubl-deleted/2026/11/23/b.ndjson"
    [line] = flow.archive.objects[deleted_key]
    assert json.loads(line)["event_id"] == f"yubl-deleted:{yubl.yubl_id}"


def test_a_retried_delete_still_knows_the_mentions_though_the_text_is_gone():
    flow, yubl = Flow(), _post()
    flow.dispatcher.distribute(yubl_posted_event(yubl))
    flow.dispatcher.distribute(_delete(yubl))
    flow.dispatcher.distribute(_delete(yubl))  # a retry: the tombstone is already there
    notes = [
        m for m in flow.publisher.group("notifications").messages if m["type"] != "yubl-posted"
    ]
    assert [m["mentions"] for m in notes] == [["bob", "carol"], ["bob", "carol"]]
    # AND the feed's removal resumed after its progress: each follower carried once
    removals = [m for m in flow.publisher.group("feed").messages if m["type"] == "feed-remove"]
    assert [f for m in removals for f in m["followers"]] == FOLLOWERS


def test_a_delete_before_its_post_removes_nothing_and_no_row_ever_appears():
    flow, yubl = Flow(), _post()
    flow.dispatcher.distribute(_delete(yubl))
    flow.dispatcher.distribute(yubl_posted_event(yubl))
    flow.deliver()
    assert (flow.feeds.entries, flow.notifications.entries) == ({}, {})
    [note] = flow.publisher.group("notifications").messages
    assert note["mentions"] == []  # no text was ever stored: nobody was notified


def test_a_write_delivered_after_its_posts_removal_is_withdrawn_at_once():
    flow, yubl = Flow(), _post()
    flow.dispatcher.distribute(yubl_posted_event(yubl))
    flow.dispatcher.distribute(_delete(yubl))
    # WHEN SNS delivers the delete's messages before the post's (no order across messages)
    feed = flow.publisher.group("feed").messages
    notes = flow.publisher.group("notifications").messages
    for message in feed[::-1]:
        flow.feed_handler(message)
    flow.unnotify.remove_mentions(notes[1])
    written = flow.notify.notify(notes[0])
    # THEN each late write reads the tombstone after writing and removes what it wrote:
    # the 7 followers' entries written once and removed twice (by the removal that came
    # first, finding nothing, and by the write's own withdrawal)
    assert (flow.feeds.entries, flow.notifications.entries) == ({}, {})
    assert (flow.feeds.writes, flow.feeds.removals, written.users) == (7, 14, ())


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"followers": "fan-000"}, "followers"),
        ({"followers": ["fan-000", "no one"]}, "followers[1]"),
        ({"yubl": {"yubl_id": "x", "author_id": "alice", "deleted_at": "x"}}, "yubl.yubl_id"),
        ({"type": "feed-fanout"}, "yubl.text"),  # not a removal: the writer refuses it
    ],
)
def test_a_bad_feed_remove_message_removes_nothing_and_names_the_field(change, field):
    flow, yubl = Flow(), _post()
    flow.dispatcher.distribute(yubl_posted_event(yubl))
    flow.deliver()
    good = {
        "type": "feed-remove",
        "yubl": _delete(yubl)["yubl"],
        "followers": list(FOLLOWERS),
    }
    with pytest.raises(InvalidInput) as caught:
        flow.feed_handler({**good, **change})
    assert caught.value.field == field
    assert len(flow.feeds.entries) == len(FOLLOWERS)
    assert flow.feeds.removals == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"event_id": "yubl-deleted:other"}, "event_id"),
        ({"mentions": "bob"}, "mentions"),
        ({"mentions": [f"u{i}" for i in range(11)]}, "mentions"),
    ],
)
def test_a_bad_delete_event_removes_no_notification(change, field):
    flow, yubl = Flow(), _post()
    flow.dispatcher.distribute(yubl_posted_event(yubl))
    flow.dispatcher.distribute(_delete(yubl))
    [good] = flow.publisher.group("notifications").messages[1:]
    with pytest.raises(InvalidInput) as caught:
        flow.unnotify.remove_mentions({**good, **change})
    assert caught.value.field == field
    assert flow.notifications.removals == 0


def _relationship(kind: str, user: str = "alice", follower: str = "zoe") -> dict:
    return dict(relationship_event(relationship_change(kind, user, follower, now=NOW)))


def _posts_by(flow: Flow, author: str, count: int) -> list[Yubl]:
    """``count`` posts of ``author`` stored (as the dispatcher would), oldest first."""
    yubls = [_post(author, f"post {i}", NOW - timedelta(minutes=count - i)) for i in range(count)]
    for yubl in yubls:
        flow.posts.put(yubl)
    return yubls


def test_a_follow_backfills_exactly_the_newest_live_posts_and_a_repeat_overwrites_them():
    """Counted in the twin's write counts, which a repeat shows: the first follow writes
    each backfilled entry once, a repeated one writes each again (stored once)."""
    flow = Flow()
    yubls = _posts_by(flow, "alice", 6)
    flow.posts.tombstone("alice", yubls[-1].yubl_id, "2026-11-23T15:30:00.000Z")
    flow.followers.add("alice", "zoe")
    handled = flow.changes.handle(_relationship("user-followed"))
    # THEN the newest three live posts: the newest one is deleted, so posts 4, 3 and 2
    expected = [y.yubl_id for y in yubls[2:5]]
    assert handled.entries == 3
    assert flow.feeds.write_counts == Counter({("zoe", y): 1 for y in expected})
    # WHEN the follow is repeated (a re-follow, or a replayed event)
    flow.changes.handle(_relationship("user-followed"))
    assert flow.feeds.write_counts == Counter({("zoe", y): 2 for y in expected})
    assert sorted(flow.feeds.entries) == [("zoe", y) for y in expected]
    feed = FeedService(flow.feeds, flow.posts).read("zoe", 10, None)
    assert [e.yubl.yubl_id for e in feed.items] == expected[::-1]


def test_an_unfollow_removes_exactly_that_authors_entries():
    flow = Flow()
    posts = {author: _posts_by(flow, author, 2) for author in ("alice", "bob")}
    for author in ("alice", "bob"):
        flow.followers.add(author, "zoe")
        flow.changes.handle(_relationship("user-followed", author))
    flow.changes.handle(_relationship("user-followed", "alice", "fan-000"))  # another reader
    flow.followers.remove("alice", "zoe")
    handled = flow.changes.handle(_relationship("user-unfollowed", "alice"))
    assert handled.entries == 2
    assert sorted(flow.feeds.entries) == sorted(
        [("zoe", y.yubl_id) for y in posts["bob"]]
        + [("fan-000", y.yubl_id) for y in posts["alice"]]
    )


def test_a_follow_then_unfollow_handled_in_order_leaves_no_entries():
    flow = Flow()
    _posts_by(flow, "alice", 4)
    followed, unfollowed = _relationship("user-followed"), _relationship("user-unfollowed")
    # the API wrote and then deleted the relationship before either event was read
    flow.followers.add("alice", "zoe")
    flow.followers.remove("alice", "zoe")
    assert flow.changes.handle(followed).skipped == "unfollowed since: nothing to backfill"
    assert flow.changes.handle(unfollowed).entries == 0
    assert flow.feeds.entries == {}


def test_an_unfollow_read_after_a_re_follow_keeps_the_new_follows_backfill():
    flow = Flow()
    _posts_by(flow, "alice", 4)
    flow.followers.add("alice", "zoe")  # follow, unfollow, follow again: the last one holds
    events = [_relationship(k) for k in ("user-followed", "user-unfollowed", "user-followed")]
    results = [flow.changes.handle(event) for event in events]
    assert [r.skipped for r in results] == [None, "followed again since: entries kept", None]
    assert len([k for k in flow.feeds.entries if k[0] == "zoe"]) == 3


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"type": "user-blocked"}, "type"),
        ({"relationship": "alice"}, "relationship"),
        ({"relationship": {"user_id": "alice", "follower_id": "a b"}}, "relationship.follower_id"),
        (
            {"relationship": {"user_id": "zoe", "follower_id": "zoe", "changed_at": "x"}},
            "relationship.follower_id",
        ),
        (
            {
                "relationship": {
                    "user_id": "alice",
                    "follower_id": "zoe",
                    "changed_at": "2030-01-01T00:00:00.000Z",
                }
            },
            "relationship.changed_at",
        ),
    ],
)
def test_a_bad_relationship_event_writes_nothing_and_names_the_field(change, field):
    flow = Flow()
    _posts_by(flow, "alice", 2)
    flow.followers.add("alice", "zoe")
    with pytest.raises(InvalidInput) as caught:
        flow.changes.handle({**_relationship("user-followed"), **change})
    assert caught.value.field == field
    # no entry written, even one later removed, and nothing asked to be removed
    assert (flow.feeds.write_counts, flow.feeds.removals) == (Counter(), 0)


def test_a_bad_relationship_event_is_dead_lettered_at_once_with_its_correlation_ids():
    flow, sink = Flow(), InMemoryFailureSink()
    processor = StreamProcessor(
        "lifecycle_test",
        flow.changes.handle,
        policy=retry_then_park(attempts=3, base_delay=0),
        sink=lambda: sink,
    )
    bad = {**_relationship("user-followed"), "relationship": {"user_id": "alice"}}
    data = json.dumps({**bad, "__context__": {"x-correlation-id": "c-42"}}).encode()
    assert processor.process(kinesis_event(kinesis_record(data, "9"))) == {"batchItemFailures": []}
    [(dead, correlation)] = sink.dead_letters
    assert (dead["attempts"], dead["error"]["type"]) == (1, "InvalidInput")
    assert dead["error"]["message"].startswith("relationship.follower_id: ")
    assert correlation["x-correlation-id"] == "c-42"
    assert sink.parked == []


def test_the_follow_routes_announce_each_change_keyed_by_the_follower():
    events, store = InMemoryEventPublisher(), InMemoryFollowerStore()
    service = FollowingService(store, events, clock=_clock)
    service.follow("alice", "zoe")
    service.unfollow("alice", "zoe")  # either side may call; the key is the follower's
    at = "2026-11-23T15:30:00.000Z"
    assert events.published == [
        (
            "zoe",
            {
                "type": kind,
                "relationship": {"user_id": "alice", "follower_id": "zoe", "changed_at": at},
            },
        )
        for kind in ("user-followed", "user-unfollowed")
    ]
    assert store.followers == {"alice": set()}


def test_a_bad_follow_stores_and_publishes_nothing():
    events, store = InMemoryEventPublisher(), InMemoryFollowerStore()
    before = copy.deepcopy(vars(store))
    with pytest.raises(InvalidInput) as caught:
        FollowingService(store, events).follow("alice", "no one")
    assert (caught.value.field, events.published) == ("follower_id", [])
    assert vars(store) == before
