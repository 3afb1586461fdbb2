"""Subscriber groups on in-memory twins: routing, message shapes and attributes, a group
that fails while the others go on, and the consumers of the notifications and archive
groups."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from chalicelib.adapters.memory import (
    InMemoryArchiveStore,
    InMemoryFailureSink,
    InMemoryFanoutProgress,
    InMemoryFeedStore,
    InMemoryFollowerStore,
    InMemoryGroupPublisher,
    InMemoryMessagePublisher,
    InMemoryPostStore,
    InMemoryUserDirectory,
)
from chalicelib.adapters.sns_publisher import PublishRefused
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.mentions import mentioned
from chalicelib.domain.posts import new_yubl, yubl_posted_event
from chalicelib.domain.routing import RoutingTable
from chalicelib.services.archive import ArchiveService
from chalicelib.services.distribution import DistributionService, GroupsFailed, GroupsRefused
from chalicelib.services.feeds import FeedService
from chalicelib.services.notifications import NotificationService
from chalicelib.streams.policies import retry_then_park
from chalicelib.streams.processor import StreamProcessor
from tests.aws_samples import kinesis_event, kinesis_record

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
ROUTING = RoutingTable.declare(
    {"yubl-posted": ["feed", "notifications", "archive"]},
    {"feed": "feed-test", "notifications": "notifications-test", "archive": "archive-test"},
)
FOLLOWERS = [f"fan-{i:03d}" for i in range(250)]
TEXT = "hi @bob and @carol, @bob again; mail me at x@example.com"


class Groups:
    """The dispatcher on twins, and each group's consumer fed from its published messages."""

    def __init__(self, publisher: InMemoryGroupPublisher | None = None) -> None:
        self.followers = InMemoryFollowerStore()
        for follower in FOLLOWERS:
            self.followers.add("alice", follower)
        self.publisher = publisher or InMemoryGroupPublisher()
        self.progress = InMemoryFanoutProgress()
        self.posts = InMemoryPostStore()
        self.dispatcher = DistributionService(
            self.followers,
            self.publisher,
            ROUTING,
            group_size=100,
            progress=self.progress,
            clock=lambda: NOW,
            posts=self.posts,
        )
        self.feeds = InMemoryFeedStore()
        self.notifications = InMemoryFeedStore()
        self.archive = InMemoryArchiveStore()
        self.delivered = {"feed": 0, "notifications": 0, "archive": 0}
        self.batch_ids = iter("abcdef")

    def deliver(self) -> None:
        """Run each group's consumer over the messages its topic got since last time."""
        feed = FeedService(self.feeds, self.posts, clock=lambda: NOW)
        notify = NotificationService(
            self.notifications, self.posts, InMemoryUserDirectory(), lambda: NOW
        )
        archive = ArchiveService(self.archive, lambda: NOW, batch_ids=self.batch_ids.__next__)
        for group, seen in self.delivered.items():
            messages = self.publisher.group(group).messages
            self.delivered[group] = len(messages)
            new = messages[seen:]
            if group == "feed":
                for message in new:
                    feed.add_group(message)
            elif group == "notifications":
                for message in new:
                    notify.notify(message)
            elif new:
                archive.write([archive.line_of(m) for m in new], "yubl-posted")


def _post(text: str = TEXT) -> dict:
    return yubl_posted_event(new_yubl("alice", text, now=NOW, suffix="0123456789ab"))


def test_one_post_with_a_mention_reaches_every_group_in_its_shape():
    groups = Groups()
    event = _post()
    yubl_id = event["yubl"]["yubl_id"]
    result = groups.dispatcher.distribute(event)
    groups.deliver()

    assert [(d.group, d.messages, d.followers) for d in result.groups] == [
        ("feed", 3, 250),
        ("notifications", 1, 0),
        ("archive", 1, 0),
    ]
    # feed: follower groups, every follower's feed holds the post once
    assert sorted(groups.feeds.write_counts.items()) == [((f, yubl_id), 1) for f in FOLLOWERS]
    # notifications: the event once; @bob twice and the mail address make bob and carol
    assert sorted(groups.notifications.write_counts.items()) == [
        (("bob", yubl_id), 1),
        (("carol", yubl_id), 1),
    ]
    # archive: one object under the post's date, one line carrying the event id
    [(key, lines)] = groups.archive.objects.items()
    assert key == "events/yubl-posted/2026/11/23/a.ndjson"
    assert [json.loads(line)["event_id"] for line in lines] == [f"yubl-posted:{yubl_id}"]
    assert json.loads(lines[0])["yubl"] == event["yubl"]


def test_every_message_carries_the_routing_attributes_of_its_group():
    groups = Groups()
    groups.dispatcher.distribute(_post())
    for group in ("feed", "notifications", "archive"):
        attributes = groups.publisher.group(group).attributes
        assert attributes and all(
            a == {"event_type": "yubl-posted", "author_id": "alice", "group": group}
            for a in attributes
        )


def test_a_group_that_fails_does_not_stop_the_others_and_the_retry_repeats_no_write():
    # GIVEN the notifications topic fails its first publish
    failing = InMemoryMessagePublisher(fail_on={1}, fail_with=RuntimeError("topic gone"))
    groups = Groups(InMemoryGroupPublisher({"notifications": failing}))
    event = _post()
    yubl_id = event["yubl"]["yubl_id"]
    # WHEN the event is distributed
    with pytest.raises(GroupsFailed) as caught:
        groups.dispatcher.distribute(event)
    # THEN the failure names the group, and the feed and the archive were published
    assert caught.value.groups == ("notifications",)
    assert str(caught.value) == (
        f"yubl {yubl_id} not published to group(s) notifications: "
        "notifications: RuntimeError: topic gone"
    )
    assert not isinstance(caught.value, GroupsRefused)  # transient: the policy retries
    assert [len(groups.publisher.group(g).messages) for g in ("feed", "archive")] == [3, 1]
    groups.deliver()
    # WHEN the record is retried
    groups.dispatcher.distribute(event)
    groups.deliver()
    # THEN the feed resumed after its last follower (no message repeated), the notification
    # went out once, the archive holds a repeated line with the same event id
    assert len(groups.publisher.group("feed").messages) == 3
    assert set(groups.feeds.write_counts.values()) == {1}
    assert len(groups.feeds.write_counts) == 250
    assert dict(groups.notifications.write_counts) == {("bob", yubl_id): 1, ("carol", yubl_id): 1}
    lines = [json.loads(line) for lines in groups.archive.objects.values() for line in lines]
    assert [line["event_id"] for line in lines] == [f"yubl-posted:{yubl_id}"] * 2


def _dispatcher_processor(
    groups: Groups, attempts: int
) -> tuple[StreamProcessor, InMemoryFailureSink]:
    """The dispatcher's body under its policy (retry_then_park), on a sink of twins."""
    sink = InMemoryFailureSink()
    processor = StreamProcessor(
        "distribute_groups_test",
        groups.dispatcher.distribute,
        policy=retry_then_park(attempts=attempts, base_delay=0),
        sink=lambda: sink,
        sleep=lambda _: None,
    )
    return processor, sink


def test_the_dispatchers_policy_parks_a_record_whose_group_failed_and_the_rerun_finishes_it():
    failing = InMemoryMessagePublisher(fail_on={1, 2}, fail_with=RuntimeError("throttled"))
    publisher = InMemoryGroupPublisher({"notifications": failing})
    groups = Groups(publisher)
    processor, sink = _dispatcher_processor(groups, attempts=2)
    event = _post()
    data = json.dumps({**event, "__context__": {"x-correlation-id": "c-1"}}).encode()
    assert processor.process(kinesis_event(kinesis_record(data, "101"))) == {
        "batchItemFailures": []
    }
    [(parked, correlation)] = sink.parked
    assert parked["error"]["type"] == "GroupsFailed"
    assert "notifications: RuntimeError: throttled" in parked["error"]["message"]
    assert (parked["attempts"], correlation["x-correlation-id"]) == (2, "c-1")
    assert sink.dead_letters == []
    # the topic is back: the retry worker re-runs the parked payload
    publisher.recover("notifications")
    processor.handle(parked["payload"])
    groups.deliver()
    yubl_id = event["yubl"]["yubl_id"]
    assert set(groups.feeds.write_counts.values()) == {1}
    assert len(groups.feeds.write_counts) == 250
    assert dict(groups.notifications.write_counts) == {("bob", yubl_id): 1, ("carol", yubl_id): 1}


def test_a_group_refused_for_good_dead_letters_the_record_at_once():
    refused = InMemoryMessagePublisher(fail_on={1}, fail_with=PublishRefused("NotFound"))
    groups = Groups(InMemoryGroupPublisher({"archive": refused}))
    processor, sink = _dispatcher_processor(groups, attempts=3)
    processor.process(kinesis_event(kinesis_record(json.dumps(_post()).encode(), "7")))
    [(dead, _)] = sink.dead_letters
    assert (dead["error"]["type"], dead["attempts"]) == ("GroupsRefused", 1)
    assert sink.parked == []
    assert len(groups.publisher.group("feed").messages) == 3  # the other groups went out


def test_an_event_type_without_a_route_is_invalid_before_any_publish():
    groups = Groups()
    with pytest.raises(InvalidInput) as caught:
        groups.dispatcher.distribute({"type": "yubl-liked", "yubl": _post()["yubl"]})
    assert str(caught.value) == "type: has no route: 'yubl-liked' (routed: yubl-posted)"
    assert groups.publisher.groups == {}


def test_an_unrouted_type_is_echoed_cut_to_80_characters():
    groups = Groups()
    with pytest.raises(InvalidInput) as caught:
        groups.dispatcher.distribute({"type": "x" * 300, "yubl": _post()["yubl"]})
    # the quote and 79 characters of the type, as every record parser echoes a type
    assert str(caught.value) == "type: has no route: '" + "x" * 79 + " (routed: yubl-posted)"
    assert groups.publisher.groups == {}


# -- mentions and notifications ------------------------------------------------------


def test_at_most_ten_distinct_mentions_are_honoured_and_the_author_is_left_out():
    names = " ".join(f"@u{i}" for i in range(12))
    yubl = new_yubl("alice", f"@alice @u0 {names} a@b.c @{'x' * 65}", now=NOW)
    assert mentioned(yubl) == [f"u{i}" for i in range(10)]


def test_notifications_go_only_to_users_that_exist_and_read_newest_first():
    store, posts = InMemoryFeedStore(), InMemoryPostStore()
    service = NotificationService(store, posts, InMemoryUserDirectory({"bob"}), clock=lambda: NOW)
    first = new_yubl("alice", "hey @bob @ghost", now=NOW, suffix="000000000001")
    later = new_yubl("carol", "@bob look", now=NOW.replace(second=5), suffix="000000000002")
    posts.put(first)  # as the dispatcher does before it publishes
    posts.put(later)
    written = service.notify(
        {**yubl_posted_event(first), "event_id": f"yubl-posted:{first.yubl_id}"}
    )
    assert (written.users, written.unknown) == (("bob",), ("ghost",))
    service.notify({**yubl_posted_event(later), "event_id": f"yubl-posted:{later.yubl_id}"})
    page = service.read("bob", 1, None)
    assert [e.yubl for e in page.items] == [later]
    assert [e.yubl for e in service.read("bob", 1, page.next_cursor).items] == [first]
    assert service.read("ghost", 10, None).items == []


def test_a_notification_message_with_a_wrong_event_id_writes_nothing():
    store = InMemoryFeedStore()
    service = NotificationService(
        store, InMemoryPostStore(), InMemoryUserDirectory(), clock=lambda: NOW
    )
    yubl = new_yubl("alice", "@bob", now=NOW, suffix="000000000001")
    with pytest.raises(InvalidInput) as caught:
        service.notify({**yubl_posted_event(yubl), "event_id": "yubl-posted:other"})
    assert caught.value.field == "event_id"
    assert store.writes == 0


# -- archive -------------------------------------------------------------------------


def test_the_archive_writes_one_object_per_date_each_line_with_its_event_id():
    store = InMemoryArchiveStore()
    service = ArchiveService(store, clock=lambda: NOW, batch_ids=iter(["b1", "b2"]).__next__)
    day1 = new_yubl("a", "x", now=datetime(2026, 11, 22, 23, 59, tzinfo=UTC), suffix="0" * 12)
    day2 = new_yubl("a", "y", now=NOW, suffix="1" * 12)
    lines = [
        service.line_of({**yubl_posted_event(y), "event_id": f"yubl-posted:{y.yubl_id}"})
        for y in (day2, day1, day2)
    ]
    written = service.write(lines, "yubl-posted")
    assert written == {
        "events/yubl-posted/2026/11/22/b1.ndjson": [f"yubl-posted:{day1.yubl_id}"],
        "events/yubl-posted/2026/11/23/b2.ndjson": [f"yubl-posted:{day2.yubl_id}"] * 2,
    }
    assert [json.loads(x)["yubl"]["text"] for x in store.objects[next(iter(written))]] == ["x"]
