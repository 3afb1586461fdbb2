"""Follower ranges on in-memory twins: splitting the index into ranges, the dispatcher's
head and hand-off, the plan and the ranges in range workers (of a post, of a delete), and
resumption after failures, with every feed write counted per (follower, yubl)."""

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
    plan_message,
    range_message,
    ranges_between,
)
from chalicelib.domain.posts import new_yubl, yubl_posted_event
from chalicelib.domain.routing import RoutingTable
from chalicelib.services.distribution import DistributionService, GroupDelivery, Lanes
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
    """Dispatcher and range workers on twins; the group messages fed to add_to_feed. The
    dispatcher publishes at most ``priority_max`` followers itself (its head)."""

    def __init__(
        self,
        n: int,
        range_size: int,
        group_size: int = 10,
        work: InMemoryMessagePublisher | None = None,
        groups: InMemoryGroupPublisher | None = None,
        routing: RoutingTable = ROUTING,
        priority_max: int = 5,
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
            lanes=Lanes(priority_max=priority_max),
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
        return [m for m in self.work.messages if m["type"] == "follower-range"]

    def plan_messages(self) -> list[dict]:
        return [m for m in self.work.messages if m["type"] == "follower-plan"]

    def run_workers(self) -> None:
        """Each work message not run yet through the worker's processor, as SNS would
        deliver it, until none is left (a plan publishes ranges)."""
        while self._ran < len(self.work.batches):
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


# -- the dispatcher's head, the plan, the ranges -------------------------------------


def test_a_fan_out_to_at_most_the_priority_max_is_published_by_the_dispatcher_alone():
    ranges = Ranges(n=99, range_size=100, priority_max=99)
    result = ranges.dispatcher.distribute(yubl_posted_event(YUBL))
    [feed, _] = result.groups
    assert feed == GroupDelivery("feed", 10, 1, followers=99, lane="priority")
    assert ranges.work.batches == []
    # one read of at most 100 followers, no counting read
    assert (ranges.store.heads_read, ranges.index.counting_reads) == (1, 0)


def test_a_large_author_gets_a_head_from_the_dispatcher_and_the_rest_as_one_plan():
    ranges = Ranges(n=2_345, range_size=100, priority_max=50)
    result = ranges.dispatcher.distribute(yubl_posted_event(YUBL))
    [feed, notifications] = result.groups
    # THEN the dispatcher published the first 50 (5 groups of 10, one PublishBatch) and
    # one plan message for the followers after the 50th (one more PublishBatch)
    assert feed == GroupDelivery("feed", 5, 2, followers=50, handed_off=True, lane="bulk")
    assert [m["followers"] for m in ranges.groups.group("feed").messages] == [
        followers(50)[i : i + 10] for i in range(0, 50, 10)
    ]
    [plan] = ranges.work.messages
    assert (plan["type"], plan["start_after"], "end" in plan) == ("follower-plan", "f00049", False)
    assert ranges.index.counting_reads == 0  # no counting read in the dispatcher
    assert notifications.messages == 1
    assert ranges.progress.last[(YUBL.yubl_id, "feed")] == PLAN_DONE
    # WHEN a range worker takes the plan
    [batch] = ranges.work.batches
    done = ranges.ranges.work(json.loads(batch[0]))
    # THEN 22 boundaries (every 100th follower after the 50th) make 23 ranges: 3 batches
    assert (done.ranges, done.batches) == (23, 3)
    assert [len(b) for b in ranges.work.batches] == [1, 10, 10, 3]
    starts = [m["start_after"] for m in ranges.range_messages()]
    ends = [m["end"] for m in ranges.range_messages()]
    assert starts == ["f00049", *[f"f{i * 100 + 149:05d}" for i in range(22)]]
    assert ends == [*[f"f{i * 100 + 149:05d}" for i in range(22)], None]
    assert ranges.work.attributes[1] == {
        "event_type": "yubl-posted",
        "author_id": "star",
        "group": "feed",
    }
    assert ranges.progress.last[(YUBL.yubl_id, "feed#ranges")] == PLAN_DONE


def test_a_plan_of_fewer_than_a_range_publishes_its_followers_itself():
    # GIVEN 99 followers, a head of 50: 49 after it, fewer than a range of 100
    ranges = Ranges(n=99, range_size=100, priority_max=50)
    ranges.dispatcher.distribute(yubl_posted_event(YUBL))
    # WHEN the plan runs
    ranges.run_workers()
    # THEN one counting read found no boundary, so the plan worker published the 49 in
    # 5 groups itself, without a range message
    assert (ranges.index.counting_reads, ranges.range_messages()) == (0, [])
    feed = ranges.groups.group("feed").messages
    assert [len(m["followers"]) for m in feed] == [10] * 5 + [10, 10, 10, 10, 9]
    assert ranges.progress.last[(YUBL.yubl_id, "feed#after#f00049")] == "f00098"


def test_every_follower_gets_the_post_exactly_once_through_the_range_workers():
    ranges = Ranges(n=2_345, range_size=100, group_size=30, priority_max=50)
    ranges.dispatcher.distribute(yubl_posted_event(YUBL))
    ranges.run_workers()
    ranges.deliver_feed()
    expected = {(f, YUBL.yubl_id): 1 for f in followers(2_345)}
    assert dict(ranges.feeds.write_counts) == expected
    # the head of 50 (30 + 20), 22 ranges of 100 (4 messages each), the last of 95 (4)
    assert len(ranges.groups.group("feed").messages) == 2 + 22 * 4 + 4
    assert ranges.sink.parked == ranges.sink.dead_letters == []


def test_a_range_that_fails_twice_resumes_after_its_last_published_batch():
    # GIVEN a head of 50 (one PublishBatch), then ranges of 200 followers in groups of 10:
    # two PublishBatch calls per range; calls 5 and 6 (range 2's second batch, then its
    # first retry) fail
    failing = InMemoryMessagePublisher(fail_on={5, 6}, fail_with=RuntimeError("SNS throttled"))
    ranges = Ranges(
        n=1_000,
        range_size=200,
        group_size=10,
        groups=InMemoryGroupPublisher({"feed": failing}),
        priority_max=50,
    )
    ranges.dispatcher.distribute(yubl_posted_event(YUBL))
    # WHEN the plan and every range worker run (retry_then_park: three attempts in process)
    ranges.run_workers()
    ranges.deliver_feed()
    # THEN the third attempt published only the second half of range 2: the head's call,
    # 5 ranges of two calls (4 of 200 followers, the last of 150), the two that failed
    assert failing.calls == 1 + 5 * 2 + 2
    assert ranges.progress.last[(YUBL.yubl_id, "feed#after#f00249")] == "f00449"
    assert ranges.sink.parked == ranges.sink.dead_letters == []
    # AND every follower's feed was written exactly once
    assert dict(ranges.feeds.write_counts) == {(f, YUBL.yubl_id): 1 for f in followers(1_000)}


def test_a_plan_that_fails_midway_resumes_without_publishing_a_range_twice():
    # GIVEN the work topic fails its third PublishBatch: the plan's second batch of ranges
    # (the first call is the dispatcher's plan message)
    work = InMemoryMessagePublisher(fail_on={3}, fail_with=RuntimeError("SNS unavailable"))
    ranges = Ranges(n=2_500, range_size=100, work=work, priority_max=50)
    ranges.dispatcher.distribute(yubl_posted_event(YUBL))
    [plan] = ranges.plan_messages()
    # WHEN the plan fails midway in its worker's first attempt and is retried in process
    ranges.run_workers()
    # THEN its 25 ranges (24 boundaries after the head) are each published once: the
    # retry went on after the 10th boundary it had saved
    starts = [m["start_after"] for m in ranges.range_messages()]
    assert len(starts) == len(set(starts)) == 25
    assert starts[0] == "f00049"
    assert ranges.range_messages()[-1] == {**ranges.range_messages()[-1], "end": None}
    ranges.deliver_feed()
    assert dict(ranges.feeds.write_counts) == {(f, YUBL.yubl_id): 1 for f in followers(2_500)}
    # AND a plan delivered again (a replay) publishes nothing more
    again = ranges.ranges.work(plan)
    assert (again.ranges, again.resumed_after) == (0, PLAN_DONE)
    assert work.calls == 1 + 1 + 1 + 2  # the plan message, a batch, the failure, 2 batches


def test_a_retried_post_hands_everything_after_its_saved_position_to_the_plan():
    # GIVEN an attempt that stored the post, published the head, then failed before its
    # plan message
    ranges = Ranges(n=250, range_size=100, priority_max=50)
    ranges.posts.put(YUBL)
    ranges.progress.record_published(YUBL.yubl_id, "feed", "f00049")
    # WHEN it is retried
    result = ranges.dispatcher.distribute(yubl_posted_event(YUBL))
    # THEN it publishes no second head: the plan starts after the saved position, where
    # a plan message of the first attempt (if one went out) starts too
    assert (result.groups[0].messages, result.groups[0].resumed_after) == (0, "f00049")
    [plan] = ranges.plan_messages()
    assert plan["start_after"] == "f00049"
    ranges.run_workers()
    ranges.deliver_feed()
    assert sorted(ranges.feeds.entries) == [(f, YUBL.yubl_id) for f in followers(250)[50:]]


def test_a_retried_post_with_few_followers_left_finishes_them_in_the_dispatcher():
    ranges = Ranges(n=80, range_size=100, priority_max=50)
    ranges.posts.put(YUBL)  # by the earlier attempt
    ranges.progress.record_published(YUBL.yubl_id, "feed", "f00049")
    result = ranges.dispatcher.distribute(yubl_posted_event(YUBL))
    assert (result.groups[0].followers, result.groups[0].lane) == (30, "priority")
    assert ranges.work.batches == []


def test_a_plan_message_round_trips_and_one_with_an_end_is_refused():
    fanout = FollowerFanout(YUBL, "2026-11-23T12:00:00.050Z")
    message = json.loads(plan_message(fanout, "feed", "a"))
    work = parse_range_message(message, now=NOW)
    assert (work.plan, work.range, work.fanout.arrived_at) == (
        True,
        FollowerRange("a", None),
        "2026-11-23T12:00:00.050Z",
    )
    with pytest.raises(InvalidInput) as caught:
        parse_range_message({**message, "end": "b"}, now=NOW)
    assert str(caught.value) == "end: a plan has no end: it runs to the last follower"


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
    post_groups = len(ranges.groups.group("feed").messages)
    # WHEN the delete is distributed
    result = ranges.dispatcher.distribute(yubl_deleted_event(DELETED))
    # THEN the dispatcher removed the head (the first 5 followers, one message) and
    # handed the rest over as the delete's plan
    [feed, notifications] = result.groups
    assert (feed.messages, feed.batches, feed.followers, feed.handed_off) == (1, 2, 5, True)
    assert notifications.messages == 1
    [_, plan] = ranges.plan_messages()
    assert (plan["event_type"], plan["start_after"]) == ("yubl-deleted", "f00004")
    # WHEN the plan runs: 5 ranges (4 boundaries after the head), in one work batch
    ranges.run_workers()
    delete_ranges = ranges.range_messages()[5:]
    assert [(m["event_type"], m["start_after"], m["end"]) for m in delete_ranges] == [
        ("yubl-deleted", "f00004", "f00014"),
        ("yubl-deleted", "f00014", "f00024"),
        ("yubl-deleted", "f00024", "f00034"),
        ("yubl-deleted", "f00034", "f00044"),
        ("yubl-deleted", "f00044", None),
    ]
    assert ranges.work.attributes[-1] == {
        "event_type": "yubl-deleted",
        "author_id": "star",
        "group": "feed",
    }
    # AND every follower was sent the removal once: the head's 5, then the ranges' 40
    removals = ranges.groups.group("feed").messages[post_groups:]
    assert _removed_followers(removals) == Counter(followers(45))
    # AND the delete's progress is its own: the post's is untouched
    ends = ["f00014", "f00024", "f00034", "f00044"]
    starts = ["f00004", *ends[:-1]]
    assert ranges.progress.last == {
        **post_progress,
        (DELETE_SUBJECT, "feed"): PLAN_DONE,
        (DELETE_SUBJECT, "feed#ranges"): PLAN_DONE,
        **{(DELETE_SUBJECT, f"feed#after#{a}"): end for a, end in zip(starts, ends, strict=True)},
    }


def test_every_follower_gets_the_removal_exactly_once_though_a_range_worker_fails_twice():
    # GIVEN a post in the feeds of 45 followers (a head of 5, then ranges of 20: 20, 20, 0)
    ranges = Ranges(n=45, range_size=20, group_size=1, routing=WITH_DELETES)
    _posted_through_ranges(ranges)
    # AND a feed topic that, from now on, throttles its 5th and 6th PublishBatch calls:
    # (after the head's) the second range's second batch, then that batch on its retry
    failing = InMemoryMessagePublisher(fail_on={5, 6}, fail_with=RuntimeError("SNS throttled"))
    ranges.groups.groups["feed"] = failing
    # WHEN the delete is distributed and its plan and range workers run (three attempts)
    result = ranges.dispatcher.distribute(yubl_deleted_event(DELETED))
    assert (result.groups[0].handed_off, result.groups[0].followers) == (True, 5)
    ranges.run_workers()
    # THEN the third attempt published only the range's second batch: the head's 5
    # removals, 2 + 2 batches of 10, and the two throttled calls
    assert failing.calls == 1 + 4 + 2
    assert [len(b) for b in failing.batches] == [5, 10, 10, 10, 10]
    assert ranges.progress.last[(DELETE_SUBJECT, "feed#after#f00024")] == "f00044"
    assert ranges.sink.parked == ranges.sink.dead_letters == []
    # AND every follower was sent the removal exactly once
    assert _removed_followers(failing.messages) == Counter(followers(45))
    # AND once add_to_feed has removed them, no feed holds the post
    removal = RemovalService(ranges.feeds, clock=lambda: NOW)
    for message in failing.messages:
        removal.remove_group(message)
    assert ranges.feeds.entries == {}
    assert ranges.feeds.removals == 45


def test_a_delete_to_at_most_the_priority_max_is_published_by_the_dispatcher_itself():
    ranges = Ranges(n=5, range_size=10, group_size=5, routing=WITH_DELETES)
    result = ranges.dispatcher.distribute(yubl_deleted_event(DELETED))
    assert (result.groups[0].handed_off, result.groups[0].followers) == (False, 5)
    assert ranges.work.batches == []
    assert _removed_followers(ranges.groups.group("feed").messages) == Counter(followers(5))
    assert ranges.progress.last == {(DELETE_SUBJECT, "feed"): "f00004"}


def test_the_posts_arrival_travels_with_the_head_the_plan_the_ranges_and_every_group():
    # GIVEN a post whose record reached the stream at 12:00:00.250
    ranges = Ranges(n=45, range_size=10, group_size=5)
    arrived = datetime(2026, 11, 23, 12, 0, 0, 250_000, tzinfo=UTC)
    # WHEN it is distributed, planned and its ranges published
    ranges.dispatcher.distribute(yubl_posted_event(YUBL), arrived)
    ranges.run_workers()
    # THEN every work message and every group message carries it
    work = ranges.work.messages
    groups = ranges.groups.group("feed").messages
    assert {m["type"] for m in work} == {"follower-plan", "follower-range"}
    assert len(groups) == 9  # the head's 5 followers, 4 ranges of 10 in groups of 5
    assert {m.get("arrived_at") for m in work + groups} == {"2026-11-23T12:00:00.250Z"}
    assert {m["version"] for m in groups} == {2}
