"""Follower ranges on in-memory twins: splitting the index into ranges, the dispatcher's
plan, range workers publishing their ranges (of a post, of a delete), and resumption after
failures, with every feed write counted per (follower, yubl)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime

import pytest

from chalicelib.adapters.memory import (
    InMemoryFailureSink,
    InMemoryFanoutProgress,
    InMemoryFeedStore,
    InMemoryFollowerIndex,
    InMemoryFollowerStore,
    InMemoryGroupPublisher,
    InMemoryMessagePublisher,
    InMemoryPostStore,
)
from chalicelib.domain.deletes import yubl_deleted, yubl_deleted_event
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.follower_fanout import FollowerFanout
from chalicelib.domain.follower_ranges import (
    PLAN_DONE,
    FollowerRange,
    parse_range_message,
    range_message,
    ranges_between,
)
from chalicelib.domain.posts import new_yubl, yubl_posted_event
from chalicelib.domain.routing import RoutingTable
from chalicelib.services.distribution import DistributionService, GroupsFailed
from chalicelib.services.feeds import FeedService
from chalicelib.services.range_fanout import RangeFanout
from chalicelib.services.removals import RemovalService
from chalicelib.streams.policies import retry_then_park
from chalicelib.streams.processor import StreamProcessor
from tests.aws_samples import sns_event

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
ROUTING = RoutingTable.declare(
    {"yubl-posted": ["feed", "notifications"]},
    {"feed": "feed-test", "notifications": "notifications-test"},
)
YUBL = new_yubl("star", "a post for everyone", now=NOW, suffix="0000000000ab")
DELETED = yubl_deleted("star", YUBL.yubl_id, now=NOW)
DELETE_SUBJECT = f"yubl-deleted:{YUBL.yubl_id}"  # a delete's progress: under its event id
WITH_DELETES = RoutingTable.declare(
    {"yubl-posted": ["feed", "notifications"], "yubl-deleted": ["feed", "notifications"]},
    {"feed": "feed-test", "notifications": "notifications-test"},
)


def followers(n: int) -> list[str]:
    return [f"f{i:05d}" for i in range(n)]


class Ranges:
    """Dispatcher and range workers on twins; the group messages fed to add_to_feed."""

    def __init__(
        self,
        n: int,
        range_size: int,
        group_size: int = 10,
        work: InMemoryMessagePublisher | None = None,
        groups: InMemoryGroupPublisher | None = None,
        routing: RoutingTable = ROUTING,
    ) -> None:
        self.store = InMemoryFollowerStore()
        for follower in followers(n):
            self.store.add("star", follower)
        self.index = InMemoryFollowerIndex(self.store)
        self.work = work or InMemoryMessagePublisher()
        self.groups = groups or InMemoryGroupPublisher()
        self.progress = InMemoryFanoutProgress()
        self.posts = InMemoryPostStore()
        self.ranges = RangeFanout(
            self.index,
            self.work,
            self.groups,
            routing,
            range_size=range_size,
            page_size=7,  # pages that do not line up with groups or ranges
            group_size=group_size,
            progress=self.progress,
            clock=lambda: NOW,
        )
        self.dispatcher = DistributionService(
            self.store,
            self.groups,
            routing,
            group_size=group_size,
            progress=self.progress,
            clock=lambda: NOW,
            posts=self.posts,
            ranges=self.ranges,
        )
        self.feeds = InMemoryFeedStore()
        self.sink = InMemoryFailureSink()
        self.worker = StreamProcessor(
            "fan_out_range_under_test",
            self.ranges.work,
            policy=retry_then_park(attempts=3, base_delay=0),
            sink=lambda: self.sink,
            sleep=lambda _: None,
        )
        self._ran = 0  # work batches already run

    def range_messages(self) -> list[dict]:
        return self.work.messages

    def run_workers(self) -> None:
        """Each range message not run yet through the worker's processor, as SNS would
        deliver it."""
        batches, self._ran = self.work.batches[self._ran :], len(self.work.batches)
        for message in [m for batch in batches for m in batch]:
            self.worker.process(sns_event({}, message))

    def deliver_feed(self) -> None:
        feed = FeedService(self.feeds, self.posts, clock=lambda: NOW)
        for message in self.groups.group("feed").messages:
            feed.add_group(message)


# -- splitting ----------------------------------------------------------------------


def test_boundaries_are_every_nth_follower_and_ranges_cover_the_index_without_overlap():
    store = InMemoryFollowerStore()
    for follower in followers(25):
        store.add("star", follower)
    index = InMemoryFollowerIndex(store)
    boundaries = list(index.boundaries("star", 10))
    assert boundaries == ["f00009", "f00019"]
    assert list(ranges_between(boundaries)) == [
        FollowerRange(None, "f00009"),
        FollowerRange("f00009", "f00019"),
        FollowerRange("f00019", None),
    ]
    pages = [
        [f for page in index.range_pages("star", 4, r.start_after, r.end) for f in page]
        for r in ranges_between(boundaries)
    ]
    assert [len(p) for p in pages] == [10, 10, 5]
    assert [f for p in pages for f in p] == followers(25)  # each follower once, in order


def test_a_resumed_plan_continues_after_the_last_boundary_it_published():
    store = InMemoryFollowerStore()
    for follower in followers(35):
        store.add("star", follower)
    index = InMemoryFollowerIndex(store)
    assert list(index.boundaries("star", 10, after="f00009")) == ["f00019", "f00029"]
    assert list(ranges_between(["f00019"], start_after="f00009")) == [
        FollowerRange("f00009", "f00019"),
        FollowerRange("f00019", None),
    ]


def test_boundaries_that_do_not_ascend_are_refused():
    with pytest.raises(ValueError, match="must ascend"):
        list(ranges_between(["f2", "f1"]))
    with pytest.raises(ValueError, match="empty range"):
        FollowerRange("f5", "f5")


def test_a_range_message_round_trips_and_bad_ones_name_their_field():
    message = json.loads(range_message(FollowerFanout(YUBL), "feed", FollowerRange("a", "b")))
    work = parse_range_message(message, now=NOW)
    assert (work.fanout.event, work.event_type, work.group, work.range) == (
        YUBL,
        "yubl-posted",
        "feed",
        FollowerRange("a", "b"),
    )
    bad = {
        "type": {**message, "type": "feed-fanout"},
        "end": {**message, "start_after": "b", "end": "a"},
        "start_after": {**message, "start_after": "no spaces"},
        "group": {**message, "group": 7},
        "event_type": {**message, "event_type": None},
        "yubl.text": {**message, "yubl": {**message["yubl"], "text": ""}},
    }
    for field, payload in bad.items():
        with pytest.raises(InvalidInput) as caught:
            parse_range_message(payload, now=NOW)
        assert caught.value.field == field


def test_a_delete_range_message_carries_the_delete_and_is_told_apart_by_its_event_type():
    message = json.loads(range_message(FollowerFanout(DELETED), "feed", FollowerRange(None, "b")))
    assert (message["event_type"], message["yubl"]) == (
        "yubl-deleted",
        {"yubl_id": YUBL.yubl_id, "author_id": "star", "deleted_at": "2026-11-23T12:00:00.000Z"},
    )
    work = parse_range_message(message, now=NOW)
    assert (work.fanout.event, work.fanout.subject, work.group) == (DELETED, DELETE_SUBJECT, "feed")
    post = json.loads(range_message(FollowerFanout(YUBL), "feed", FollowerRange(None, "b")))
    bad = {
        "yubl.deleted_at": {**message, "yubl": post["yubl"]},  # a post under a delete's type
        "yubl.text": {**post, "yubl": message["yubl"]},  # and the other way round
        "event_type": {**message, "event_type": "yubl-edited"},
    }
    for field, payload in bad.items():
        with pytest.raises(InvalidInput) as caught:
            parse_range_message(payload, now=NOW)
        assert caught.value.field == field


# -- the dispatcher's plan ----------------------------------------------------------


def test_an_author_below_the_range_size_is_fanned_out_directly():
    ranges = Ranges(n=99, range_size=100)
    result = ranges.dispatcher.distribute(yubl_posted_event(YUBL))
    [feed, _] = result.groups
    assert (feed.ranges, feed.followers, feed.messages) == (0, 99, 10)
    assert ranges.work.batches == []
    assert ranges.index.counting_reads == 0  # one counting read found no boundary


def test_a_large_author_is_planned_into_ranges_published_ten_a_batch():
    ranges = Ranges(n=2_345, range_size=100)
    result = ranges.dispatcher.distribute(yubl_posted_event(YUBL))
    [feed, notifications] = result.groups
    # 23 boundaries (every 100th follower) make 24 ranges: 3 PublishBatch calls
    assert (feed.ranges, feed.batches, feed.followers) == (24, 3, 0)
    assert [len(b) for b in ranges.work.batches] == [10, 10, 4]
    assert ranges.groups.group("feed").batches == []  # nothing published by the dispatcher
    assert notifications.messages == 1
    starts = [m["start_after"] for m in ranges.range_messages()]
    ends = [m["end"] for m in ranges.range_messages()]
    assert starts == [None, *[f"f{i * 100 + 99:05d}" for i in range(23)]]
    assert ends == [*[f"f{i * 100 + 99:05d}" for i in range(23)], None]
    assert ranges.work.attributes[0] == {
        "event_type": "yubl-posted",
        "author_id": "star",
        "group": "feed",
    }
    assert ranges.progress.last[(YUBL.yubl_id, "feed#ranges")] == PLAN_DONE


def test_every_follower_gets_the_post_exactly_once_through_the_range_workers():
    ranges = Ranges(n=2_345, range_size=100, group_size=30)
    ranges.dispatcher.distribute(yubl_posted_event(YUBL))
    ranges.run_workers()
    ranges.deliver_feed()
    expected = {(f, YUBL.yubl_id): 1 for f in followers(2_345)}
    assert dict(ranges.feeds.write_counts) == expected
    # 24 ranges: 23 of 100 followers (4 group messages each) and 45 (2 messages)
    assert len(ranges.groups.group("feed").messages) == 23 * 4 + 2
    assert ranges.sink.parked == ranges.sink.dead_letters == []


def test_a_range_that_fails_twice_resumes_after_its_last_published_batch():
    # GIVEN ranges of 200 followers in groups of 10: two PublishBatch calls per range;
    # calls 4 and 5 (range 2's second batch, then its first retry) fail
    failing = InMemoryMessagePublisher(fail_on={4, 5}, fail_with=RuntimeError("SNS throttled"))
    ranges = Ranges(
        n=1_000, range_size=200, group_size=10, groups=InMemoryGroupPublisher({"feed": failing})
    )
    ranges.dispatcher.distribute(yubl_posted_event(YUBL))
    # WHEN every range worker runs (retry_then_park: three attempts in process)
    ranges.run_workers()
    ranges.deliver_feed()
    # THEN the third attempt published only the second half of range 2
    assert failing.calls == 5 * 2 + 2
    assert ranges.progress.last[(YUBL.yubl_id, "feed#after#f00199")] == "f00399"
    assert ranges.sink.parked == ranges.sink.dead_letters == []
    # AND every follower's feed was written exactly once
    assert dict(ranges.feeds.write_counts) == {(f, YUBL.yubl_id): 1 for f in followers(1_000)}


def test_a_plan_that_fails_midway_resumes_without_publishing_a_range_twice():
    # GIVEN the work topic fails its second PublishBatch (ranges 11-20)
    work = InMemoryMessagePublisher(fail_on={2}, fail_with=RuntimeError("SNS unavailable"))
    ranges = Ranges(n=2_500, range_size=100, work=work)
    with pytest.raises(GroupsFailed, match="feed: RuntimeError: SNS unavailable"):
        ranges.dispatcher.distribute(yubl_posted_event(YUBL))
    assert ranges.progress.last[(YUBL.yubl_id, "feed#ranges")] == "f00999"
    # WHEN the record is retried
    result = ranges.dispatcher.distribute(yubl_posted_event(YUBL))
    # THEN it publishes the 16 ranges after the 10th boundary, and the 26 ranges of the
    # plan are each published once (25 boundaries, the last one the last follower: the
    # 26th range is empty, as a counting read cannot tell that nothing follows)
    assert (result.groups[0].ranges, result.groups[0].resumed_after) == (16, "f00999")
    starts = [m["start_after"] for m in ranges.range_messages()]
    assert len(starts) == len(set(starts)) == 26
    assert ranges.range_messages()[-1]["start_after"] == "f02499"
    ranges.run_workers()
    ranges.deliver_feed()
    assert dict(ranges.feeds.write_counts) == {(f, YUBL.yubl_id): 1 for f in followers(2_500)}
    # AND a third delivery of the record (a replay) publishes nothing more
    again = ranges.dispatcher.distribute(yubl_posted_event(YUBL))
    assert (again.groups[0].ranges, again.groups[0].resumed_after) == (0, PLAN_DONE)


def test_a_retried_post_that_began_on_the_direct_path_finishes_there():
    # GIVEN an attempt that published part of a small author's followers directly
    ranges = Ranges(n=250, range_size=100)
    ranges.progress.record_published(YUBL.yubl_id, "feed", "f00099")
    # WHEN it is retried after the author passed the range size
    result = ranges.dispatcher.distribute(yubl_posted_event(YUBL))
    # THEN it resumes directly, after the followers already published
    assert (result.groups[0].ranges, result.groups[0].followers) == (0, 150)
    assert ranges.work.batches == []


def test_a_range_message_that_is_not_valid_is_dead_lettered_at_once_with_its_reason():
    ranges = Ranges(n=10, range_size=100)
    everyone = FollowerRange(None, None)
    delete = json.loads(range_message(FollowerFanout(DELETED), "feed", everyone))
    bad = {
        "not JSON of a range": json.dumps({"type": "follower-range"}),
        "unknown group": range_message(FollowerFanout(YUBL), "archive", everyone),
        "not routed": range_message(FollowerFanout(DELETED), "feed", everyone),
        "event-shaped group": range_message(FollowerFanout(YUBL), "notifications", everyone),
        "a delete without its time": json.dumps(
            {**delete, "yubl": {**delete["yubl"], "deleted_at": None}}
        ),
        "an event type never fanned out": json.dumps({**delete, "event_type": "user-followed"}),
    }
    for message in bad.values():
        ranges.worker.process(sns_event({}, message))
    reasons = [(d["error"]["type"], d["attempts"]) for d, _ in ranges.sink.dead_letters]
    assert reasons == [("InvalidInput", 1)] * 6
    messages = [d["error"]["message"] for d, _ in ranges.sink.dead_letters]
    assert [m.split(":")[0] for m in messages] == [
        "event_type",
        "group",
        "event_type",
        "group",
        "yubl.deleted_at",
        "event_type",
    ]
    assert ranges.groups.group("feed").batches == []


# -- deletes --------------------------------------------------------------------------


def _removed_followers(messages: list[dict]) -> Counter[str]:
    """Followers per feed-remove message published: a follower sent twice shows as 2."""
    assert {m["type"] for m in messages} == {"feed-remove"}
    return Counter(f for m in messages for f in m["followers"])


def _posted_through_ranges(ranges: Ranges) -> None:
    """GIVEN the post fanned out through the range workers and in every feed."""
    ranges.dispatcher.distribute(yubl_posted_event(YUBL))
    ranges.run_workers()
    ranges.deliver_feed()
    assert len(ranges.feeds.entries) == 45


def test_a_large_authors_delete_is_planned_into_ranges_under_its_own_event_id():
    ranges = Ranges(n=45, range_size=10, group_size=5, routing=WITH_DELETES)
    _posted_through_ranges(ranges)
    post_progress = dict(ranges.progress.last)
    # WHEN the delete is distributed
    result = ranges.dispatcher.distribute(yubl_deleted_event(DELETED))
    # THEN its feed group went out as 5 ranges (4 boundaries), in one work batch
    [feed, notifications] = result.groups
    assert (feed.ranges, feed.batches, feed.followers) == (5, 1, 0)
    assert notifications.messages == 1
    delete_ranges = ranges.range_messages()[5:]
    assert [(m["event_type"], m["start_after"], m["end"]) for m in delete_ranges] == [
        ("yubl-deleted", None, "f00009"),
        ("yubl-deleted", "f00009", "f00019"),
        ("yubl-deleted", "f00019", "f00029"),
        ("yubl-deleted", "f00029", "f00039"),
        ("yubl-deleted", "f00039", None),
    ]
    assert ranges.work.attributes[-1] == {
        "event_type": "yubl-deleted",
        "author_id": "star",
        "group": "feed",
    }
    # AND the dispatcher published no removal itself
    assert len(ranges.groups.group("feed").messages) == 9  # the post's 9 groups of 5
    # AND the plan's progress is the delete's own: the post's is untouched
    assert ranges.progress.last == {**post_progress, (DELETE_SUBJECT, "feed#ranges"): PLAN_DONE}


def test_every_follower_gets_the_removal_exactly_once_though_a_range_worker_fails_twice():
    # GIVEN a post in the feeds of 45 followers (ranges of 20: 20, 20 and 5 followers)
    ranges = Ranges(n=45, range_size=20, group_size=1, routing=WITH_DELETES)
    _posted_through_ranges(ranges)
    # AND a feed topic that, from now on, throttles its 4th and 5th PublishBatch calls:
    # the second range's second batch, then that batch again on the worker's first retry
    failing = InMemoryMessagePublisher(fail_on={4, 5}, fail_with=RuntimeError("SNS throttled"))
    ranges.groups.groups["feed"] = failing
    # WHEN the delete is distributed and its range workers run (three attempts each)
    result = ranges.dispatcher.distribute(yubl_deleted_event(DELETED))
    assert (result.groups[0].ranges, result.groups[0].followers) == (3, 0)
    ranges.run_workers()
    # THEN the third attempt published only the range's second batch: 2 + 2 + 1 batches
    # of 10, 10 and 5 removals, plus the two throttled calls
    assert failing.calls == 5 + 2
    assert [len(b) for b in failing.batches] == [10, 10, 10, 10, 5]
    assert ranges.progress.last[(DELETE_SUBJECT, "feed#after#f00019")] == "f00039"
    assert ranges.sink.parked == ranges.sink.dead_letters == []
    # AND every follower was sent the removal exactly once
    assert _removed_followers(failing.messages) == Counter(followers(45))
    # AND once add_to_feed has removed them, no feed holds the post
    removal = RemovalService(ranges.feeds, clock=lambda: NOW)
    for message in failing.messages:
        removal.remove_group(message)
    assert ranges.feeds.entries == {}
    assert ranges.feeds.removals == 45


def test_a_delete_below_the_range_size_is_published_by_the_dispatcher_itself():
    ranges = Ranges(n=9, range_size=10, group_size=5, routing=WITH_DELETES)
    result = ranges.dispatcher.distribute(yubl_deleted_event(DELETED))
    assert (result.groups[0].ranges, result.groups[0].followers) == (0, 9)
    assert ranges.work.batches == []
    assert _removed_followers(ranges.groups.group("feed").messages) == Counter(followers(9))
    assert ranges.progress.last == {(DELETE_SUBJECT, "feed"): "f00008"}
