"""The exact calls of the write path, per group message and per post, on in-memory twins.

Each twin call is logged, in order, under the AWS operation it stands for in the
adapters: a group message's worker makes its writes and what depends on each follower
(the inactive followers' lookup), then one consistent read of the tombstone; the
dispatcher asks what depends only on the post once (its muters: one Query), and reads at
most ``priority_max + 1`` followers whatever the post's size.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.adapters import memory
from chalicelib.adapters.celebrity_memory import InMemoryAuthorIndex, InMemoryPulledPosts
from chalicelib.domain.fanout import group_message
from chalicelib.domain.posts import new_yubl, yubl_posted_event
from chalicelib.domain.routing import RoutingTable
from chalicelib.services.activity import FollowerActivity
from chalicelib.services.celebrities import CelebrityPolicy
from chalicelib.services.distribution import DistributionService, Lanes
from chalicelib.services.feeds import FeedService
from chalicelib.services.range_fanout import RangeFanout

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
LONG_AGO = "2026-09-01T08:00:00Z"  # beyond 30 days: inactive
FEED_ONLY = RoutingTable.declare({"yubl-posted": ["feed"]}, {"feed": "feed-test"})
WAIT_S = 10  # a bound on waiting for a condition, never expected to pass
YUBL = new_yubl("star", "hello", now=NOW - timedelta(seconds=1), suffix="00000000abcd")


class Calls:
    """The log of every twin call, named as the AWS operation its adapter makes."""

    def __init__(self) -> None:
        self.log: list[str] = []

    def wrap(self, twin: Any, **operations: str) -> Any:
        """``twin`` with the calls of ``operations`` (method name -> operation) logged."""
        log = self.log

        class Recorded:
            def __getattr__(self, name: str) -> Any:
                found = getattr(twin, name)
                if name not in operations:
                    return found

                def recorded(*args: Any, **kwargs: Any) -> Any:
                    log.append(operations[name])
                    return found(*args, **kwargs)

                return recorded

        return Recorded()


def followers(n: int) -> list[str]:
    return [f"f{i:04d}" for i in range(n)]


def _worker(calls: Calls, activity: memory.InMemoryActivityStore) -> tuple[FeedService, Any]:
    feeds, posts, mutes = (
        memory.InMemoryFeedStore(),
        memory.InMemoryPostStore(),
        memory.InMemoryMuteStore(),
    )
    posts.put(YUBL)
    reads = calls.wrap(activity, last_reads="BatchGetItem")
    service = FeedService(
        calls.wrap(feeds, put_entries="BatchWriteItem", remove_entries="BatchWriteItem"),
        calls.wrap(posts, is_deleted="GetItem"),
        clock=lambda: NOW,
        mutes=calls.wrap(mutes, muting="Query"),
        active=FollowerActivity(reads, 30, lambda: NOW).active,
    )
    return service, feeds


def test_a_group_messages_worker_looks_up_writes_and_reads_the_tombstone_once():
    # GIVEN a message of 130 followers, every other one of the first 100 inactive:
    # 50 + 30 = 80 to write
    group = followers(130)
    activity = memory.InMemoryActivityStore({f: LONG_AGO for f in group[0:100:2]})
    calls = Calls()
    service, feeds = _worker(calls, activity)
    # WHEN its worker takes it
    written = service.add_group(group_message(YUBL, group))
    # THEN ceil(130 / 100) lookups, ceil(80 / 25) writes, one tombstone read, no Query:
    # the first write right after the first lookup, the second lookup in flight beside
    # the first chunk's writes (services/lookahead.py) and before the writes that need
    # it, the tombstone read after the writes
    log = calls.log
    assert sorted(log) == ["BatchGetItem"] * 2 + ["BatchWriteItem"] * 4 + ["GetItem"]
    writes = [i for i, call in enumerate(log) if call == "BatchWriteItem"]
    lookups = [i for i, call in enumerate(log) if call == "BatchGetItem"]
    assert lookups[0] == 0 and lookups[1] < writes[2]
    assert log[-1] == "GetItem"
    assert (written.entries, written.skipped, written.withdrawn) == (80, 50, 0)
    assert len(feeds.entries) == 80


class SignallingActivity(memory.InMemoryActivityStore):
    """Sets ``second_lookup`` when the lookup of the group's second hundred starts."""

    def __init__(self, second: str) -> None:
        super().__init__()
        self.second, self.second_lookup = second, threading.Event()

    def last_reads(self, user_ids: Any) -> dict[str, str]:
        if user_ids[0] == self.second:
            self.second_lookup.set()
        return super().last_reads(user_ids)


class WaitingFeeds(memory.InMemoryFeedStore):
    """Each write waits until ``ready`` is set (one call at a time, it would wait for ever)."""

    def __init__(self, ready: threading.Event) -> None:
        super().__init__()
        self.ready = ready

    def put_entries(self, entries: Any) -> None:
        assert self.ready.wait(WAIT_S), "the second lookup did not start beside the writes"
        super().put_entries(entries)


def test_the_next_lookup_is_in_flight_while_the_first_entries_are_written():
    # GIVEN a message of 200 active followers, and writes that wait for the second lookup
    group = followers(200)
    activity = SignallingActivity(second=group[100])
    feeds, posts = WaitingFeeds(activity.second_lookup), memory.InMemoryPostStore()
    posts.put(YUBL)
    active = FollowerActivity(activity, 30, lambda: NOW).active
    service = FeedService(feeds, posts, clock=lambda: NOW, active=active)
    # WHEN its worker takes it THEN every entry is written
    assert service.add_group(group_message(YUBL, group)).entries == 200
    assert sorted(f for f, _ in feeds.entries) == group


def test_out_of_time_the_lookup_in_flight_is_handed_back_whole():
    # GIVEN 300 followers, every other one of the second hundred inactive, and time for
    # four writes: the first hundred are written, the second looked up (its 50 active
    # ones pending), the third's lookup in flight when time runs out
    group = followers(300)
    activity = memory.InMemoryActivityStore({f: LONG_AGO for f in group[100:200:2]})
    service, feeds = _worker(Calls(), activity)
    asked = iter([False] * 4 + [True] * 10)
    # WHEN its worker takes it
    written = service.add_group(group_message(YUBL, group), out_of_time=lambda: next(asked))
    # THEN the rest is the second hundred's active followers and the whole third hundred
    assert (written.entries, written.skipped) == (100, 50)
    assert written.rest is not None
    assert written.rest["followers"] == group[101:200:2] + group[200:]
    assert sorted(f for f, _ in feeds.entries) == group[:100]


def test_a_version_1_message_costs_one_query_of_the_mutes_more():
    calls = Calls()
    service, _ = _worker(calls, memory.InMemoryActivityStore())
    old = {"type": "feed-fanout", "yubl": YUBL.to_wire(), "followers": followers(30)}
    service.add_group(old)
    assert calls.log == ["Query", "BatchGetItem", "BatchWriteItem", "BatchWriteItem", "GetItem"]


def test_a_message_whose_followers_are_all_inactive_reads_no_tombstone():
    calls = Calls()
    group = followers(3)
    service, _ = _worker(calls, memory.InMemoryActivityStore(dict.fromkeys(group, LONG_AGO)))
    assert service.add_group(group_message(YUBL, group)).skipped == 3
    assert calls.log == ["BatchGetItem"]


class Dispatcher:
    """The dispatcher on logged twins, with a priority lane and range workers."""

    def __init__(self, n: int, priority_max: int, group_size: int, bulk_group_size: int) -> None:
        self.calls = Calls()
        self.followers = memory.InMemoryFollowerStore()
        for follower in followers(n):
            self.followers.add("star", follower)
        self.bulk, self.priority = memory.InMemoryGroupPublisher(), memory.InMemoryGroupPublisher()
        self.work = memory.InMemoryMessagePublisher()
        self.progress = memory.InMemoryFanoutProgress()
        self.mutes = memory.InMemoryMuteStore()
        self.mutes.add("f0001", "star")
        wrap: Callable[..., Any] = self.calls.wrap
        progress = wrap(self.progress, last_published="GetItem", record_published="PutItem")
        self.posts = memory.InMemoryPostStore()
        celebrities = CelebrityPolicy(
            wrap(InMemoryAuthorIndex(self.followers), follower_count="GetItem"),
            wrap(InMemoryPulledPosts(self.posts), is_pulled="GetItem"),
            threshold=100_000,
        )
        self.ranges = RangeFanout(
            wrap(memory.InMemoryFollowerIndex(self.followers), range_pages="Query"),
            wrap(self.work, publish_batch="PublishBatch"),
            wrap(self.bulk, publish_batch="PublishBatch"),
            FEED_ONLY,
            range_size=10_000,
            page_size=10_000,
            group_size=bulk_group_size,
            progress=progress,
            mutes=wrap(self.mutes, muting="Query"),
        )
        self.service = DistributionService(
            wrap(self.followers, head="Query", iter_pages="Query"),
            wrap(self.bulk, publish_batch="PublishBatch"),
            FEED_ONLY,
            group_size=group_size,
            progress=progress,
            clock=lambda: NOW,
            posts=wrap(self.posts, put="PutItem", live="BatchGetItem"),
            ranges=self.ranges,
            celebrities=celebrities,
            mutes=wrap(self.mutes, muting="Query"),
            lanes=Lanes(
                priority_max=priority_max,
                priority=wrap(self.priority, publish_batch="PublishBatch"),
                bulk_group_size=bulk_group_size,
            ),
        )


def test_a_small_post_costs_the_dispatcher_one_read_of_followers_and_one_of_muters():
    # GIVEN 250 followers, one of them muting the author, at most 1,000 for the priority lane
    dispatcher = Dispatcher(n=250, priority_max=1_000, group_size=100, bulk_group_size=1_000)
    # WHEN the post is distributed
    dispatcher.service.distribute(yubl_posted_event(YUBL))
    # THEN: the post stored (its first attempt: no progress to read), one Query of
    # followers (at most 1,000: no celebrity, no count to read), one of the muters,
    # ceil(249 / 100) = 3 messages in one PublishBatch on the priority lane, its progress
    assert dispatcher.calls.log == ["PutItem", "Query", "Query", "PublishBatch", "PutItem"]
    messages = dispatcher.priority.group("feed").messages
    assert [len(m["followers"]) for m in messages] == [100, 100, 49]
    assert "f0001" not in {f for m in messages for f in m["followers"]}
    assert dispatcher.bulk.group("feed").batches == dispatcher.work.batches == []


def test_a_large_post_costs_the_dispatcher_the_same_reads_and_one_plan_message():
    # GIVEN 25,000 followers, a head of 1,000, the bulk lane's groups of 500
    dispatcher = Dispatcher(n=25_000, priority_max=1_000, group_size=100, bulk_group_size=500)
    # WHEN the post is distributed
    result = dispatcher.service.distribute(yubl_posted_event(YUBL))
    # THEN the same one Query of followers (1,001 of them: more than the lane's, so the
    # follower count decides whether it is a celebrity's) and one of the muters as a
    # small post; the head (999 after the muter) on the bulk lane in groups of 100, as a
    # small post's (10 messages, one PublishBatch), then one plan message on the work
    # topic, and the progress marked done
    assert dispatcher.calls.log == [
        "PutItem",
        "Query",
        "GetItem",
        "Query",
        "PublishBatch",
        "PutItem",
        "PublishBatch",
        "PutItem",
    ]
    assert [len(m["followers"]) for m in dispatcher.bulk.group("feed").messages] == [100] * 9 + [99]
    [plan] = dispatcher.work.messages
    assert (plan["type"], plan["start_after"]) == ("follower-plan", "f0999")
    assert dispatcher.priority.group("feed").batches == []
    [feed] = result.groups
    assert (feed.lane, feed.handed_off, feed.muted) == ("bulk", True, 1)


def test_a_range_of_a_large_post_costs_one_query_of_followers_and_one_of_muters_a_page():
    # GIVEN a large post's plan, run by a range worker: 24,000 followers after the head,
    # ranges of 10,000
    dispatcher = Dispatcher(n=25_000, priority_max=1_000, group_size=100, bulk_group_size=500)
    dispatcher.service.distribute(yubl_posted_event(YUBL))
    [plan] = dispatcher.work.messages
    del dispatcher.calls.log[:]
    planned = dispatcher.ranges.work(plan)
    # THEN 3 ranges (2 boundaries, the last range open) went out in one PublishBatch
    assert (planned.ranges, dispatcher.calls.log) == (3, ["GetItem", "PublishBatch", "PutItem"])
    # WHEN a range worker takes the first range
    del dispatcher.calls.log[:]
    first = dispatcher.work.messages[1]
    done = dispatcher.ranges.work(first)
    # THEN its progress read, one Query page of its 10,000 followers, one Query of the
    # author's muters over that page, and its 20 groups of 500 in two PublishBatch calls
    assert dispatcher.calls.log == [
        "GetItem",
        "Query",
        "Query",
        "PublishBatch",
        "PutItem",
        "PublishBatch",
        "PutItem",
    ]
    assert (done.followers, done.messages) == (10_000, 20)
    assert {len(m["followers"]) for m in dispatcher.bulk.group("feed").messages[10:]} == {500}


def test_a_retried_post_reads_its_progress_and_its_earlier_decision_to_pull_or_not():
    # GIVEN a small post whose first attempt stored it and failed before its fan-out
    dispatcher = Dispatcher(n=250, priority_max=1_000, group_size=100, bulk_group_size=1_000)
    dispatcher.posts.put(YUBL)
    # WHEN the record is retried
    dispatcher.service.distribute(yubl_posted_event(YUBL))
    # THEN: the post found stored (and live), its progress read, the followers read, the
    # earlier decision and the count asked, then the muters, the publish, the progress
    assert dispatcher.calls.log == [
        "PutItem",
        "BatchGetItem",
        "GetItem",
        "Query",
        "GetItem",
        "GetItem",
        "Query",
        "PublishBatch",
        "PutItem",
    ]
