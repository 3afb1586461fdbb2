"""Follower ranges on the emulator: a large author's post, its head published by the
dispatcher and the rest handed over as a plan on the template's work topic; the plan and
each range taken by the range worker's processor (retry_then_park), and the follower
groups written by the feed service into the feeds table.

One range fails twice before it succeeds: first SNS throttles its second batch (nothing
published), then the batch is published but the worker dies before saving its progress
(published, so that batch is published again). Every feed write is counted on the wire,
per (follower, yubl), by a botocore hook on the feed store's own client: the repeated
batch shows there, and nowhere else; the table holds each entry once.

The cost is stated in counted calls and write units, not seconds: moto's Query sorts the
whole table for every page. ``make test`` runs 5,000 followers; ``make test-scale`` runs
100,000 (marked ``full``) through the same code with the deployed range size.

A delete of a large author's post takes the same path (its ``feed-remove`` messages
published by the range workers): a small one, 45 followers in ranges of 20, with one
range throttled twice before it succeeds.
"""

from __future__ import annotations

import json
import math
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from chalicelib.adapters.dynamodb_models import (
    bind_fanout_progress_model,
    bind_feed_model,
    bind_post_model,
    bind_relationship_model,
)
from chalicelib.adapters.dynamodb_stores import (
    DynamoFeedStore,
    DynamoFollowerStore,
    DynamoPostStore,
)
from chalicelib.adapters.fanout_progress import DynamoFanoutProgress
from chalicelib.adapters.follower_index import DynamoFollowerIndex
from chalicelib.adapters.memory import InMemoryFailureSink
from chalicelib.adapters.sns_publisher import SnsGroupPublisher, SnsMessagePublisher, topic_arn
from chalicelib.adapters.sqs_failure_sink import SqsFailureSink
from chalicelib.domain.deletes import yubl_deleted, yubl_deleted_event
from chalicelib.domain.follower_fanout import FollowerFanout
from chalicelib.domain.follower_ranges import PLAN_DONE, FollowerRange, range_message
from chalicelib.domain.posts import new_yubl, yubl_posted_event
from chalicelib.domain.routing import RoutingTable
from chalicelib.observability.correlation import bind
from chalicelib.services.distribution import DistributionService, Lanes
from chalicelib.services.feeds import FeedService
from chalicelib.services.range_fanout import RangeFanout
from chalicelib.services.removals import RemovalService
from chalicelib.streams.policies import retry_then_park
from chalicelib.streams.processor import StreamProcessor
from loadtests.counting import Tally, count_calls
from tests.aws_samples import sns_event

pytestmark = pytest.mark.emulator

MESSAGES_PER_BATCH = 10  # SNS PublishBatch


@dataclass(frozen=True)
class Size:
    followers: int
    range_size: int
    group_size: int
    page_size: int
    head: int  # followers the dispatcher publishes itself (FANOUT_PRIORITY_MAX_FOLLOWERS)

    @property
    def ranges(self) -> int:
        """After the head, a boundary every range_size followers, and an open range after
        the last."""
        return (self.followers - self.head) // self.range_size + 1

    def batches_of(self, followers: int) -> int:
        return math.ceil(math.ceil(followers / self.group_size) / MESSAGES_PER_BATCH)

    def range_of(self, followers: list[str], number: int) -> list[str]:
        """The followers of range ``number`` (0-based) of the plan."""
        start = self.head + number * self.range_size
        return followers[start : start + self.range_size]


SMALL = Size(followers=5_300, range_size=1_000, group_size=50, page_size=1_000, head=500)
# the followers after the head not a multiple of the range size: at an exact multiple
# DynamoDB names the last follower as a boundary (Limit reached; an empty last range
# follows), moto does not
LARGE = Size(followers=100_000, range_size=9_000, group_size=100, page_size=10_000, head=2_000)


class FailingRange:
    """The feed topic's publisher, except for one range's second batch of messages of
    type ``kind``: the first time SNS throttles it (nothing published); the second time
    it is published and then the worker dies before its progress is saved (with
    ``repeat``; else SNS throttles it again). The third time all is well."""

    def __init__(
        self,
        publisher: SnsGroupPublisher,
        first: str,
        last: str,
        kind: str = "feed-fanout",
        repeat: bool = True,
    ) -> None:
        self._publisher = publisher
        self._first, self._last = first, last
        self._kind, self._repeat = kind, repeat
        self.calls_in_range = 0
        self.repeated: list[str] = []  # the followers of the batch published twice

    def publish_batch(
        self, group: str, messages: Sequence[str], attributes: Mapping[str, str]
    ) -> None:
        decoded = [json.loads(m) for m in messages]
        followers = [f for m in decoded for f in m["followers"]]
        if decoded[0]["type"] == self._kind and self._first <= followers[0] <= self._last:
            self.calls_in_range += 1
            if self.calls_in_range == 2 or (self.calls_in_range == 3 and not self._repeat):
                raise RuntimeError("SNS throttled (injected)")
            if self.calls_in_range == 3:
                self._publisher.publish_batch(group, messages, attributes)
                self.repeated = followers
                raise RuntimeError("worker died after publishing (injected)")
        self._publisher.publish_batch(group, messages, attributes)


class Subscription:
    """A raw-delivery queue on a topic, for one author's messages only."""

    def __init__(self, topic: str, author: str) -> None:
        self.sns, self.sqs = boto3.client("sns"), boto3.client("sqs")
        self.url = self.sqs.create_queue(QueueName=f"ranges-{uuid.uuid4().hex[:12]}")["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])
        self.arn = self.sns.subscribe(
            TopicArn=topic,
            Protocol="sqs",
            Endpoint=arn["Attributes"]["QueueArn"],
            Attributes={
                "RawMessageDelivery": "true",
                "FilterPolicy": json.dumps({"author_id": [author]}),
            },
            ReturnSubscriptionArn=True,
        )["SubscriptionArn"]

    def drain(self) -> Iterator[tuple[str, dict[str, str]]]:
        """Every message waiting (SNS delivered them as it accepted them), with its
        attributes, each deleted once taken."""
        while True:
            got = self.sqs.receive_message(
                QueueUrl=self.url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
            ).get("Messages", [])
            if not got:
                return
            for message in got:
                attributes = {
                    k: v["StringValue"] for k, v in message.get("MessageAttributes", {}).items()
                }
                yield message["Body"], attributes
            self.sqs.delete_message_batch(
                QueueUrl=self.url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)
                ],
            )

    def close(self) -> None:
        self.sns.unsubscribe(SubscriptionArn=self.arn)
        self.sqs.delete_queue(QueueUrl=self.url)


def _counted_client(model: Any, tally: Tally) -> Any:
    return count_calls(model._get_connection().connection.client, tally)


def _count_feed_writes(
    model: Any, writes: Counter[tuple[str, str]], removals: Counter[tuple[str, str]]
) -> None:
    """Every PutRequest (``writes``) and DeleteRequest (``removals``) a BatchWriteItem
    call sends, per (user, yubl): on the wire."""

    def before(params: dict[str, Any], **_: Any) -> None:
        for requests in params.get("RequestItems", {}).values():
            for request in requests:
                if "PutRequest" in request:
                    item = request["PutRequest"]["Item"]
                    writes[(item["user_id"]["S"], item["yubl_id"]["S"])] += 1
                else:
                    key = request["DeleteRequest"]["Key"]
                    removals[(key["user_id"]["S"], key["yubl_id"]["S"])] += 1

    client = model._get_connection().connection.client
    client.meta.events.register("before-parameter-build.dynamodb.BatchWriteItem", before)


def _seed(table: str, author: str, followers: list[str]) -> None:
    dynamodb = boto3.client("dynamodb")
    for start in range(0, len(followers), 25):
        pending: dict[str, Any] = {
            table: [
                {"PutRequest": {"Item": {"user_id": {"S": author}, "follower_id": {"S": f}}}}
                for f in followers[start : start + 25]
            ]
        }
        while pending:
            pending = dynamodb.batch_write_item(RequestItems=pending)["UnprocessedItems"]
        if (start + 25) % 20_000 == 0:
            print(f"[ranges] seeded {start + 25:,} of {len(followers):,} followers", flush=True)


def _stored_entries(table: str, yubl_id: str) -> Counter[str]:
    """Rows of the feeds table holding this yubl, per user (a Scan: one read of the table,
    where a Query per follower would sort the whole table each time on moto)."""
    dynamodb = boto3.client("dynamodb")
    rows: Counter[str] = Counter()
    query: dict[str, Any] = {
        "TableName": table,
        "FilterExpression": "yubl_id = :y",
        "ExpressionAttributeValues": {":y": {"S": yubl_id}},
        "ProjectionExpression": "user_id",
    }
    while True:
        page = dynamodb.scan(**query)
        rows.update(item["user_id"]["S"] for item in page["Items"])
        if "LastEvaluatedKey" not in page:
            return rows
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]


@dataclass
class Flow:
    """The dispatcher, a range worker's processor and add_to_feed's services for one
    author on the emulator; every SNS and DynamoDB call counted in ``tally``, every feed
    put and delete per (follower, yubl) in ``writes`` and ``removals``."""

    author: str
    followers: list[str]
    dispatcher: DistributionService
    worker: StreamProcessor
    sink: InMemoryFailureSink
    feeds: FeedService
    removal: RemovalService
    progress: DynamoFanoutProgress
    feed_topic: FailingRange
    work_queue: Subscription
    feed_queue: Subscription
    tally: Tally
    writes: Counter[tuple[str, str]]
    removals: Counter[tuple[str, str]]

    def run_workers(self, correlation: str) -> Counter[str]:
        """A range worker takes each work message waiting (the plan, then the ranges it
        publishes), as SNS would invoke it; the messages taken, by type."""
        taken: Counter[str] = Counter()
        while drained := list(self.work_queue.drain()):
            for body, attributes in drained:
                assert attributes["x-correlation-id"] == correlation
                records = {k: {"Type": "String", "Value": v} for k, v in attributes.items()}
                assert self.worker.process(sns_event(records, body)) == {"batchItemFailures": []}
                taken[json.loads(body)["type"]] += 1
        assert self.sink.parked == self.sink.dead_letters == []
        return taken

    def feed_messages(self, correlation: str) -> list[dict[str, Any]]:
        """The feed group's messages waiting, decoded."""
        messages = []
        for body, attributes in self.feed_queue.drain():
            assert attributes["x-correlation-id"] == correlation
            assert attributes["group"] == "feed"
            messages.append(json.loads(body))
        return messages

    def close(self) -> None:
        self.work_queue.close()
        self.feed_queue.close()


def _flow(
    stack_outputs: dict[str, str],
    size: Size,
    failing_range: int,
    routes: dict[str, list[str]],
    **failure: Any,
) -> Flow:
    """GIVEN ``size.followers`` of a new author, and the feed topic failing in the range
    numbered ``failing_range`` (0-based) as ``FailingRange(**failure)`` says."""
    author = f"star-{uuid.uuid4().hex[:10]}"
    followers = [f"fan-{i:06d}" for i in range(size.followers)]
    _seed(stack_outputs["RelationshipsTableName"], author, followers)
    sns = boto3.client("sns")
    region = sns.meta.region_name
    work_arn = topic_arn(stack_outputs["FanoutWorkTopic"], boto3.client("sts"), region)
    feed_arn = stack_outputs["FeedFanoutTopicArn"]
    tally = Tally()
    sns = count_calls(sns, tally)
    relationships = bind_relationship_model(stack_outputs["RelationshipsTableName"])
    progress_model = bind_fanout_progress_model(stack_outputs["FanoutProgressTableName"])
    feeds_model = bind_feed_model(stack_outputs["FeedsTableName"])
    for model in (relationships, progress_model, feeds_model):
        _counted_client(model, tally)
    writes: Counter[tuple[str, str]] = Counter()
    removals: Counter[tuple[str, str]] = Counter()
    _count_feed_writes(feeds_model, writes, removals)

    routing = RoutingTable.declare(routes, {"feed": feed_arn})
    progress = DynamoFanoutProgress(progress_model, ttl=timedelta(days=1))
    failing = size.range_of(followers, failing_range)
    first, last = failing[0], failing[-1]
    feed_topic = FailingRange(
        SnsGroupPublisher(lambda _: SnsMessagePublisher(sns, feed_arn)), first, last, **failure
    )
    ranges = RangeFanout(
        DynamoFollowerIndex(relationships),
        SnsMessagePublisher(sns, work_arn),
        feed_topic,
        routing,
        range_size=size.range_size,
        page_size=size.page_size,
        group_size=size.group_size,
        progress=progress,
    )
    posts = DynamoPostStore(bind_post_model(stack_outputs["PostsTableName"]))
    dispatcher = DistributionService(
        DynamoFollowerStore(relationships),
        SnsGroupPublisher(lambda _: SnsMessagePublisher(sns, feed_arn)),
        routing,
        group_size=size.group_size,
        page_size=size.page_size,
        progress=progress,
        posts=posts,
        ranges=ranges,
        lanes=Lanes(priority_max=size.head),
    )
    sink = InMemoryFailureSink()
    worker = StreamProcessor(
        f"fan_out_range_{author}",
        ranges.work,
        policy=retry_then_park(attempts=3, base_delay=0),
        sink=lambda: sink,
        sleep=lambda _: None,
    )
    store = DynamoFeedStore(feeds_model)
    return Flow(
        author,
        followers,
        dispatcher,
        worker,
        sink,
        FeedService(store, posts),
        RemovalService(store),
        progress,
        feed_topic,
        Subscription(work_arn, author),
        Subscription(feed_arn, author),
        tally,
        writes,
        removals,
    )


def _run(stack_outputs: dict[str, str], size: Size) -> None:
    # the third range (0-based 2) fails twice
    failing_range = 2
    flow = _flow(stack_outputs, size, failing_range, {"yubl-posted": ["feed"]})
    followers, tally, writes = flow.followers, flow.tally, flow.writes
    try:
        yubl = new_yubl(flow.author, "to every follower, once", now=datetime.now(UTC))
        correlation = {"x-correlation-id": f"ranges-{flow.author}"}

        # WHEN the dispatcher distributes the post: its head, then the rest as a plan
        with bind(correlation):
            result = flow.dispatcher.distribute(yubl_posted_event(yubl))
        [feed] = result.groups
        assert (feed.handed_off, feed.followers) == (True, size.head)

        # AND a range worker takes the plan, then each range message, as SNS would invoke it
        taken = flow.run_workers(correlation["x-correlation-id"])
        print(f"[ranges] planned {taken['follower-range']} ranges", flush=True)
        assert taken == {"follower-plan": 1, "follower-range": size.ranges}

        # AND add_to_feed writes each follower group
        group_messages = 0
        for message in flow.feed_messages(correlation["x-correlation-id"]):
            flow.feeds.add_group(message)
            group_messages += 1

        # THEN each follower's feed was written once, but the batch the dead worker had
        # published: twice, exactly its followers
        repeated = set(flow.feed_topic.repeated)
        batch = MESSAGES_PER_BATCH * size.group_size  # followers a full batch carries
        assert repeated == set(size.range_of(followers, failing_range)[batch : 2 * batch])
        expected = {(f, yubl.yubl_id): 2 if f in repeated else 1 for f in followers}
        assert dict(writes) == expected
        # AND the table holds the post once in every follower's feed
        stored = _stored_entries(stack_outputs["FeedsTableName"], yubl.yubl_id)
        assert stored == Counter(followers)
        # AND the calls it took (the cost, independent of moto's speed)
        full_ranges = (size.followers - size.head) // size.range_size
        tail = size.followers - size.head - full_ranges * size.range_size
        publish_batches = (
            size.batches_of(size.head)  # the dispatcher's head
            + 1  # its plan message
            + math.ceil(size.ranges / MESSAGES_PER_BATCH)  # the plan's range messages
            + full_ranges * size.batches_of(size.range_size)
            + size.batches_of(tail)
            + 1  # the batch published twice
        )
        assert tally.calls["PublishBatch"] == publish_batches
        assert group_messages == math.ceil(size.followers / size.group_size) + len(repeated) // (
            size.group_size
        )
        # every group is full at these sizes: 25 entries a BatchWriteItem call
        assert tally.calls["BatchWriteItem"] == group_messages * math.ceil(size.group_size / 25)
        # progress: one conditional put per published batch (the plan message's: the head
        # marked done), but the one the worker died after
        assert tally.calls["PutItem"] == publish_batches - 1
        print(
            f"\n[ranges] {size.followers:,} followers, range size {size.range_size:,}: "
            f"{size.ranges} ranges, {group_messages} group messages; calls "
            + json.dumps(dict(sorted(tally.calls.items())))
            + f"; feed write units {sum(writes.values()):,}"
        )
    finally:
        flow.close()


def _delete_run(stack_outputs: dict[str, str]) -> None:
    # GIVEN 45 followers, a head of 3, then ranges of 20 (20, 20, 2), groups of 1: two
    # batches a range, and the second range's second batch of removals throttled twice
    # (nothing published)
    size = Size(followers=45, range_size=20, group_size=1, page_size=1_000, head=3)
    routes = {"yubl-posted": ["feed"], "yubl-deleted": ["feed"]}
    flow = _flow(stack_outputs, size, 1, routes, kind="feed-remove", repeat=False)
    try:
        yubl = new_yubl(flow.author, "soon gone", now=datetime.now(UTC))
        correlation = f"delete-{flow.author}"
        with bind({"x-correlation-id": correlation}):
            flow.dispatcher.distribute(yubl_posted_event(yubl))
        assert flow.run_workers(correlation) == {"follower-plan": 1, "follower-range": 3}
        for message in flow.feed_messages(correlation):
            flow.feeds.add_group(message)
        stored = _stored_entries(stack_outputs["FeedsTableName"], yubl.yubl_id)
        assert stored == Counter(flow.followers)
        flow.tally.calls.clear()

        # WHEN the author deletes it, and the dispatcher distributes the delete
        deleted = yubl_deleted(flow.author, yubl.yubl_id, now=datetime.now(UTC))
        with bind({"x-correlation-id": correlation}):
            result = flow.dispatcher.distribute(yubl_deleted_event(deleted))
        # THEN the dispatcher removes the head (3 followers) and hands the rest over
        [feed] = result.groups
        assert (feed.handed_off, feed.batches, feed.followers) == (True, 2, 3)
        # AND the plan makes 3 ranges, the range workers publish them, one range
        # throttled twice on the way
        assert flow.run_workers(correlation) == {"follower-plan": 1, "follower-range": 3}
        assert flow.feed_topic.calls_in_range == 4
        messages = flow.feed_messages(correlation)
        assert {m["type"] for m in messages} == {"feed-remove"}
        # AND every follower was sent the removal exactly once
        sent = Counter(f for m in messages for f in m["followers"])
        assert sent == Counter(flow.followers)
        # AND its progress is the delete's own, not the post's
        subject = f"yubl-deleted:{yubl.yubl_id}"
        assert flow.progress.last_published(subject, "feed") == PLAN_DONE
        assert flow.progress.last_published(subject, "feed#ranges") == PLAN_DONE
        assert flow.progress.last_published(subject, "feed#after#fan-000022") == "fan-000042"
        assert flow.progress.last_published(yubl.yubl_id, "feed#after#fan-000022") == "fan-000042"

        # WHEN add_to_feed removes each group's entries
        for message in messages:
            flow.removal.remove_group(message)
        # THEN each entry was deleted once on the wire, and no feed holds the post
        assert dict(flow.removals) == {(f, yubl.yubl_id): 1 for f in flow.followers}
        assert _stored_entries(stack_outputs["FeedsTableName"], yubl.yubl_id) == Counter()
        # AND the calls it took: the head's removals and the plan message (one PublishBatch
        # each), the plan's one, 2 + 2 + 1 removal batches, and the two throttled attempts
        # (refused before SNS is called: not counted)
        assert flow.tally.calls["PublishBatch"] == 1 + 1 + 1 + 5
        print(
            "\n[ranges] delete of a 45-follower post in ranges of 20: calls "
            + json.dumps(dict(sorted(flow.tally.calls.items())))
        )
    finally:
        flow.close()


def test_the_index_counts_to_each_boundary_and_pages_a_range_on_the_emulator(stack_outputs):
    author = f"star-{uuid.uuid4().hex[:10]}"
    followers = [f"fan-{i:03d}" for i in range(25)]
    _seed(stack_outputs["RelationshipsTableName"], author, followers)
    tally = Tally()
    relationships = bind_relationship_model(stack_outputs["RelationshipsTableName"])
    _counted_client(relationships, tally)
    index = DynamoFollowerIndex(relationships)
    assert list(index.boundaries(author, 10)) == ["fan-009", "fan-019"]
    assert tally.calls == {"Query": 3}  # two boundaries, then the 5 after the last
    assert list(index.boundaries(author, 10, after="fan-009")) == ["fan-019"]
    assert list(index.boundaries(author, 5, after="fan-020")) == []  # 4 left: no boundary
    assert list(index.range_pages(author, 4, "fan-009", "fan-019")) == [
        followers[10:14],
        followers[14:18],
        followers[18:20],
    ]
    assert list(index.range_pages(author, 100, None, "fan-002")) == [followers[:3]]
    assert list(index.range_pages(author, 100, "fan-022", None)) == [followers[23:]]


def test_a_large_authors_post_reaches_every_follower_once_through_the_range_workers(
    stack_outputs,
):
    _run(stack_outputs, SMALL)


@pytest.mark.full
@pytest.mark.timeout(1800)  # moto's Query and BatchWriteItem at 100,000 rows, not our code
def test_a_100k_follower_post_reaches_every_follower_once_through_the_range_workers(
    stack_outputs,
):
    _run(stack_outputs, LARGE)


def test_a_large_authors_delete_reaches_every_follower_once_through_the_range_workers(
    stack_outputs,
):
    _delete_run(stack_outputs)


def test_a_bad_delete_range_message_is_dead_lettered_at_once_with_its_reason(stack_outputs, unique):
    # GIVEN the range worker's processor, its failure sink on two queues of the emulator
    sqs = boto3.client("sqs")
    retry = sqs.create_queue(QueueName=f"ranges-retry-{unique}")["QueueUrl"]
    dead = sqs.create_queue(QueueName=f"ranges-dead-{unique}")["QueueUrl"]
    tally = Tally()
    sns = count_calls(boto3.client("sns"), tally)
    relationships = bind_relationship_model(stack_outputs["RelationshipsTableName"])
    progress_model = bind_fanout_progress_model(stack_outputs["FanoutProgressTableName"])
    for model in (relationships, progress_model):
        _counted_client(model, tally)
    feed_arn = stack_outputs["FeedFanoutTopicArn"]
    sts, region = boto3.client("sts"), sns.meta.region_name
    feed = SnsGroupPublisher(lambda _: SnsMessagePublisher(sns, feed_arn))
    ranges = RangeFanout(
        DynamoFollowerIndex(relationships),
        SnsMessagePublisher(sns, topic_arn(stack_outputs["FanoutWorkTopic"], sts, region)),
        feed,
        RoutingTable.declare({"yubl-deleted": ["feed"]}, {"feed": feed_arn}),
        range_size=10,
        page_size=10,
        group_size=1,
        progress=DynamoFanoutProgress(progress_model, ttl=timedelta(days=1)),
    )
    sink = SqsFailureSink(sqs, f"ranges-retry-{unique}", f"ranges-dead-{unique}")
    worker = StreamProcessor(
        "fan_out_range",
        ranges.work,
        policy=retry_then_park(attempts=3, base_delay=0),
        sink=lambda: sink,
        sleep=lambda _: None,
    )
    # AND a delete's range message dated an hour ahead (beyond the allowed clock skew)
    later = datetime.now(UTC) + timedelta(hours=1)
    deleted = yubl_deleted(f"star-{unique}", "1767225600000-0123456789ab", now=later)
    message = range_message(FollowerFanout(deleted), "feed", FollowerRange(None, "fan-000009"))
    # WHEN the worker takes it
    assert worker.process(sns_event({}, message)) == {"batchItemFailures": []}
    # THEN it is dead-lettered after one attempt, with its reason, and nothing parked
    [got] = sqs.receive_message(QueueUrl=dead, MaxNumberOfMessages=10)["Messages"]
    failed = json.loads(got["Body"])
    assert (failed["attempts"], failed["error"]["type"]) == (1, "InvalidInput")
    assert failed["error"]["message"].startswith("yubl.deleted_at: ")
    assert failed["payload"] == json.loads(message)
    assert sqs.receive_message(QueueUrl=retry).get("Messages", []) == []
    # AND nothing was read or published before it was refused
    assert tally.calls == {}
