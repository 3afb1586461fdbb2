"""Kinesis and SNS publishers against the emulator, read back as a consumer would."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import boto3
import pytest

from chalicelib.adapters.kinesis_publisher import KinesisEventPublisher
from chalicelib.adapters.sns_publisher import PublishRefused, SnsMessagePublisher, topic_arn
from chalicelib.domain.errors import PermanentFailure
from chalicelib.observability.context import bind

from .kinesis_reading import stream_records

pytestmark = pytest.mark.emulator


IDS = {"x-correlation-id": "c-1", "call-chain-length": "1", "debug-log-enabled": "false"}
NEXT_HOP = {**IDS, "call-chain-length": "2"}


def test_event_is_put_on_the_stream_as_json_with_the_ids_in_force(stack_outputs, unique):
    stream = stack_outputs["YublPostedStreamName"]
    with bind(IDS):
        KinesisEventPublisher(boto3.client("kinesis"), stream).publish(
            {"type": "probe", "id": unique}, partition_key=f"{unique}-author"
        )
    mine = [r for r in stream_records(stream) if r["PartitionKey"] == f"{unique}-author"]
    assert [json.loads(r["Data"]) for r in mine] == [
        {"type": "probe", "id": unique, "__context__": NEXT_HOP}
    ]


def test_batch_reaches_a_subscribed_queue_in_full(stack_outputs, unique):
    topic = stack_outputs["FeedFanoutTopicArn"]
    with _subscribed_queue(topic, unique) as receive:
        with bind(IDS):
            SnsMessagePublisher(boto3.client("sns"), topic).publish_batch(
                [f"{unique}-{i}" for i in range(10)]
            )
        received = receive(10)
    assert sorted(m["Body"] for m in received) == sorted(f"{unique}-{i}" for i in range(10))
    for message in received:
        attributes = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
        assert attributes == NEXT_HOP


def test_routing_and_correlation_attributes_together_keep_to_snss_ten(stack_outputs, unique):
    # GIVEN three routing attributes and eleven correlation ids in force
    ids = {**IDS} | {f"x-correlation-extra-{i}": str(i) for i in range(8)}
    routing = {"event_type": "yubl-posted", "author_id": "alice", "group": "feed"}
    topic = stack_outputs["FeedFanoutTopicArn"]
    with _subscribed_queue(topic, unique) as receive:
        # WHEN a message is published with both
        with bind(ids):
            SnsMessagePublisher(boto3.client("sns"), topic).publish_batch([unique], routing)
        [message] = receive(1)
    # THEN it arrives with SNS's ten attributes: the routing ones and the first ids
    attributes = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
    assert len(attributes) == 10
    assert {k: v for k, v in attributes.items() if "-" not in k} == routing
    assert attributes["x-correlation-id"] == "c-1"
    assert attributes["call-chain-length"] == "2"


@contextmanager
def _subscribed_queue(topic: str, unique: str) -> Iterator[Callable[[int], list[dict]]]:
    """A queue of its own subscribed to ``topic`` (raw delivery), and a function that
    receives ``n`` messages from it."""
    sqs = boto3.client("sqs")
    queue_url = sqs.create_queue(QueueName=f"probe-{unique}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    sns = boto3.client("sns")
    subscription = sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"RawMessageDelivery": "true"},
    )["SubscriptionArn"]

    def receive(n: int) -> list[dict]:
        received: list[dict] = []
        for _ in range(10):
            got = sqs.receive_message(
                QueueUrl=queue_url,
                MaxNumberOfMessages=10,
                WaitTimeSeconds=1,
                MessageAttributeNames=["All"],
            )
            received += got.get("Messages", [])
            if len(received) >= n:
                break
        return received

    try:
        yield receive
    finally:
        sns.unsubscribe(SubscriptionArn=subscription)


def test_a_topic_name_is_completed_to_the_callers_arn(stack_outputs):
    arn = topic_arn(stack_outputs["FeedFanoutTopicName"], boto3.client("sts"), "us-east-1")
    assert arn == stack_outputs["FeedFanoutTopicArn"]
    assert topic_arn(arn, boto3.client("sts"), "eu-west-1") == arn


def test_an_entry_sns_refuses_as_the_senders_fault_is_a_permanent_failure(stack_outputs, unique):
    # GIVEN a batch whose second entry is over SNS's 256 KiB message limit
    pauses: list[float] = []
    publisher = SnsMessagePublisher(
        boto3.client("sns"), stack_outputs["FeedFanoutTopicArn"], sleep=pauses.append
    )
    # WHEN it is published
    with pytest.raises(PublishRefused) as caught:
        publisher.publish_batch([f"{unique}-ok", "x" * 262_145])
    # THEN the failure is permanent, says why, and was not retried
    assert isinstance(caught.value, PermanentFailure)
    assert "(sender fault): InvalidParameter" in str(caught.value)
    assert pauses == []


def test_a_call_sns_refuses_for_good_is_a_permanent_failure(unique):
    # a FIFO topic refuses entries without a MessageGroupId: the whole call is a 400
    sns = boto3.client("sns")
    fifo = sns.create_topic(Name=f"probe-{unique}.fifo", Attributes={"FifoTopic": "true"})[
        "TopicArn"
    ]
    try:
        with pytest.raises(PublishRefused, match="InvalidParameter"):
            SnsMessagePublisher(sns, fifo).publish_batch(["m"])
    finally:
        sns.delete_topic(TopicArn=fifo)
