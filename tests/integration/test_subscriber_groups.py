"""Subscriber groups on the emulator: the template's subscription and its filter policy,
and a group whose topic is deleted mid-fan-out while the others go on."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta

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
from chalicelib.adapters.sns_publisher import SnsGroupPublisher, SnsMessagePublisher
from chalicelib.adapters.sqs_failure_sink import SqsFailureSink
from chalicelib.adapters.users import AnyValidUser
from chalicelib.domain.posts import new_yubl, yubl_posted_event
from chalicelib.domain.routing import RoutingTable
from chalicelib.services.distribution import DistributionService
from chalicelib.services.feeds import FeedService
from chalicelib.services.notifications import NotificationService
from chalicelib.streams.policies import halt, retry_then_park
from chalicelib.streams.processor import StreamProcessor
from chalicelib.streams.retry import rerun_parked
from tests.aws_samples import kinesis_event, kinesis_record, sqs_record

pytestmark = pytest.mark.emulator

GROUPS = ("feed", "notifications", "archive")


def _queue_arn(sqs, url: str) -> str:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return attributes["Attributes"]["QueueArn"]


def _drain(sqs, url: str) -> list[dict]:
    """Every message waiting in the queue, deleted as read (an empty receive ends it)."""
    messages: list[dict] = []
    while True:
        got = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        ).get("Messages", [])
        if not got:
            return messages
        messages += got
        for message in got:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def test_the_templates_archive_subscription_holds_its_filter_policy(stack_outputs, unique):
    sns, sqs = boto3.client("sns"), boto3.client("sqs")
    topic = f"arn:aws:sns:us-east-1:123456789012:{stack_outputs['ArchiveTopicName']}"
    [subscription] = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    queue_url = sqs.get_queue_url(QueueName=stack_outputs["ArchiveQueueName"])["QueueUrl"]
    assert subscription["Endpoint"] == _queue_arn(sqs, queue_url)
    attributes = sns.get_subscription_attributes(SubscriptionArn=subscription["SubscriptionArn"])[
        "Attributes"
    ]
    assert (attributes["RawMessageDelivery"], json.loads(attributes["FilterPolicy"])) == (
        "true",
        {"group": ["archive"]},
    )
    # WHEN one message of another group and one of the archive group are published
    for group in ("feed", "archive"):
        sns.publish(
            TopicArn=topic,
            Message=f"{group}-{unique}",
            MessageAttributes={"group": {"DataType": "String", "StringValue": group}},
        )
    # THEN only the archive group's message reaches the queue
    bodies = [m["Body"] for m in _drain(sqs, queue_url)]
    assert [b for b in bodies if b.endswith(unique)] == [f"archive-{unique}"]


@pytest.fixture
def group_topics(unique):
    """A topic per group, of this test's own, each with a raw-delivery queue behind it."""
    sns, sqs = boto3.client("sns"), boto3.client("sqs")
    topics, queues = {}, {}
    for group in GROUPS:
        topics[group] = sns.create_topic(Name=f"{group}-{unique}")["TopicArn"]
        queues[group] = sqs.create_queue(QueueName=f"{group}-sub-{unique}")["QueueUrl"]

    def subscribe(group: str) -> None:
        sns.subscribe(
            TopicArn=topics[group],
            Protocol="sqs",
            Endpoint=_queue_arn(sqs, queues[group]),
            Attributes={"RawMessageDelivery": "true"},
        )

    for group in GROUPS:
        subscribe(group)
    yield topics, queues, subscribe
    for group in GROUPS:
        sqs.delete_queue(QueueUrl=queues[group])
        sns.delete_topic(TopicArn=topics[group])


def test_a_topic_deleted_mid_test_dead_letters_the_record_and_the_redrive_finishes_it(
    stack_outputs, group_topics, unique
):
    sns, sqs = boto3.client("sns"), boto3.client("sqs")
    topics, queues, subscribe = group_topics
    author = f"author-{unique}"
    followers = [f"fan-{i:03d}-{unique}" for i in range(120)]
    mentioned = f"bob-{unique}"
    relationships = bind_relationship_model(stack_outputs["RelationshipsTableName"])
    with relationships.batch_write() as batch:
        for follower in followers:
            batch.save(relationships(author, follower))
    feeds = DynamoFeedStore(bind_feed_model(stack_outputs["FeedsTableName"]))
    notes = DynamoFeedStore(bind_feed_model(stack_outputs["NotificationsTableName"]))
    posts = DynamoPostStore(bind_post_model(stack_outputs["PostsTableName"]))
    retry_queue = sqs.create_queue(QueueName=f"retry-{unique}")["QueueUrl"]
    dead_queue = sqs.create_queue(QueueName=f"dead-{unique}")["QueueUrl"]
    dispatcher = DistributionService(
        DynamoFollowerStore(relationships),
        SnsGroupPublisher(lambda group: SnsMessagePublisher(sns, topics[group], max_attempts=2)),
        RoutingTable.declare({"yubl-posted": list(GROUPS)}, topics),
        group_size=50,
        progress=DynamoFanoutProgress(
            bind_fanout_progress_model(stack_outputs["FanoutProgressTableName"]),
            ttl=timedelta(days=1),
        ),
        posts=posts,
    )
    processor = StreamProcessor(
        f"distribute_{unique}",
        dispatcher.distribute,
        policy=retry_then_park(attempts=2, base_delay=0),
        sink=lambda: SqsFailureSink(sqs, f"retry-{unique}", f"dead-{unique}"),
    )
    event = yubl_posted_event(new_yubl(author, f"hi @{mentioned}", now=datetime.now(UTC)))
    yubl_id = event["yubl"]["yubl_id"]
    data = json.dumps({**event, "__context__": {"x-correlation-id": f"c-{unique}"}}).encode()

    # GIVEN the notifications topic is deleted
    sns.delete_topic(TopicArn=topics["notifications"])
    # WHEN the record is processed
    assert processor.process(kinesis_event(kinesis_record(data, "1"))) == {"batchItemFailures": []}
    # THEN it is dead-lettered at once (no such topic: refused for good), naming the group
    [dead] = _drain(sqs, dead_queue)
    failed = json.loads(dead["Body"])
    assert (failed["error"]["type"], failed["attempts"]) == ("GroupsRefused", 1)
    assert failed["error"]["message"].startswith(
        f"yubl {yubl_id} not published to group(s) notifications: notifications: PublishRefused"
    )
    assert dead["MessageAttributes"]["x-correlation-id"]["StringValue"] == f"c-{unique}"
    assert _drain(sqs, retry_queue) == []
    # AND the other groups were published
    first = {group: _drain(sqs, queues[group]) for group in ("feed", "archive")}
    assert (len(first["feed"]), len(first["archive"])) == (3, 1)

    # WHEN the topic is back (same name, subscribed again) and the dead letter re-driven
    assert sns.create_topic(Name=f"notifications-{unique}")["TopicArn"] == topics["notifications"]
    subscribe("notifications")
    retry_worker = StreamProcessor(f"retry_{unique}", rerun_parked, policy=halt())
    lambda_attributes = {
        name: {"stringValue": value["StringValue"], "dataType": value["DataType"]}
        for name, value in dead["MessageAttributes"].items()
    }
    retry_worker.process({"Records": [sqs_record(lambda_attributes, dead["Body"])]})
    second = {group: _drain(sqs, queues[group]) for group in GROUPS}

    # THEN the feed's topic carried each follower once over both runs (the rerun resumed
    # after the feed's progress), notifications once, and the archive twice
    feed_messages = first["feed"] + second["feed"]
    assert second["feed"] == []
    carried = Counter(f for m in feed_messages for f in json.loads(m["Body"])["followers"])
    assert carried == Counter(followers)
    assert len(second["notifications"]) == 1
    archived = [json.loads(m["Body"])["event_id"] for m in first["archive"] + second["archive"]]
    assert archived == [f"yubl-posted:{yubl_id}"] * 2
    # AND every message carries its group's routing attributes
    for group in GROUPS:
        for message in first.get(group, []) + second[group]:
            attributes = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
            assert (attributes["group"], attributes["event_type"], attributes["author_id"]) == (
                group,
                "yubl-posted",
                author,
            )
            assert attributes["x-correlation-id"] == f"c-{unique}"

    # WHEN each group's consumer takes every message it was sent
    feed = FeedService(feeds, posts)
    for message in feed_messages:
        feed.add_group(json.loads(message["Body"]))
    notifier = NotificationService(notes, posts, AnyValidUser())
    for message in second["notifications"]:
        notifier.notify(json.loads(message["Body"]))
    # THEN every feed and the mentioned user's notifications hold the post exactly once
    for follower in followers:
        assert [e.yubl.yubl_id for e in feed.read(follower, 10, None).items] == [yubl_id]
    assert [e.yubl.yubl_id for e in notifier.read(mentioned, 10, None).items] == [yubl_id]
