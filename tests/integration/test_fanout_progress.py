"""Fan-out progress on the emulator: the table from the template, and a distribution
that fails mid-fan-out and is retried, counted at a queue subscribed to its topic."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from cfnlint.decode import decode_str

from chalicelib.adapters.dynamodb_models import (
    FanoutProgressModel,
    bind_fanout_progress_model,
    bind_relationship_model,
)
from chalicelib.adapters.dynamodb_stores import DynamoFollowerStore
from chalicelib.adapters.fanout_progress import DynamoFanoutProgress
from chalicelib.adapters.memory import InMemoryGroupPublisher, InMemoryPostStore
from chalicelib.adapters.sns_publisher import SnsMessagePublisher
from chalicelib.domain.posts import new_yubl, yubl_posted_event
from chalicelib.domain.routing import RoutingTable
from chalicelib.services.distribution import Distribution, DistributionService, GroupDelivery
from devstack.stack import PROJECT_DIR

pytestmark = pytest.mark.emulator

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
TTL = timedelta(days=14)


@pytest.fixture
def progress(stack_outputs) -> DynamoFanoutProgress:
    model = bind_fanout_progress_model(stack_outputs["FanoutProgressTableName"])
    return DynamoFanoutProgress(model, ttl=TTL, clock=lambda: T0)


def test_the_template_expires_progress_items_by_the_models_ttl_attribute():
    # moto's CloudFormation ignores TimeToLiveSpecification, so the template is read
    template, problems = decode_str((PROJECT_DIR / "infra" / "resources.yaml").read_text())
    assert problems == []
    table = template["Resources"]["FanoutProgressTable"]["Properties"]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert FanoutProgressModel.expires_at.attr_name == "expires_at"


def test_progress_is_saved_with_its_expiry_and_never_moves_backwards(
    stack_outputs, progress, unique
):
    yubl_id = f"1795447800123-{unique:0>12}"[:26]
    assert progress.last_published(yubl_id, "feed") is None
    progress.record_published(yubl_id, "feed", "f00500")
    progress.record_published(yubl_id, "feed", "f00100")  # a slower, concurrent fan-out
    assert progress.last_published(yubl_id, "feed") == "f00500"
    progress.record_published(yubl_id, "feed", "f00900")
    assert progress.last_published(yubl_id, "feed") == "f00900"
    assert progress.last_published(yubl_id, "other") is None  # progress is per group
    item = boto3.client("dynamodb").get_item(
        TableName=stack_outputs["FanoutProgressTableName"],
        Key={"yubl_id": {"S": yubl_id}, "group": {"S": "feed"}},
    )["Item"]
    expected_expiry = int((T0 + TTL).timestamp())  # 2026-12-07T12:00:00Z
    assert item == {
        "yubl_id": {"S": yubl_id},
        "group": {"S": "feed"},
        "last_follower": {"S": "f00900"},
        "expires_at": {"N": str(expected_expiry)},
    }
    assert expected_expiry == 1796644800


class FailsOnCall:
    """The real publisher, except that call number ``n`` fails (SNS down for a moment)."""

    def __init__(self, publisher: SnsMessagePublisher, n: int) -> None:
        self._publisher = publisher
        self._n = n
        self.calls = 0

    def publish_batch(self, messages, attributes=None):
        self.calls += 1
        if self.calls == self._n:
            raise RuntimeError("SNS unavailable")
        self._publisher.publish_batch(messages, attributes)


@pytest.fixture
def counted_topic(unique):
    """A topic of its own with a raw-delivery queue behind it: every message published."""
    sns, sqs = boto3.client("sns"), boto3.client("sqs")
    topic = sns.create_topic(Name=f"fanout-{unique}")["TopicArn"]
    queue_url = sqs.create_queue(QueueName=f"fanout-count-{unique}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"RawMessageDelivery": "true"},
    )

    def drain(expected: int) -> list[dict]:
        bodies: list[dict] = []
        for _ in range(50):
            got = sqs.receive_message(
                QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1
            ).get("Messages", [])
            bodies += [json.loads(m["Body"]) for m in got]
            for message in got:
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            if not got and len(bodies) >= expected:
                break
        return bodies

    yield topic, drain
    sqs.delete_queue(QueueUrl=queue_url)
    sns.delete_topic(TopicArn=topic)


def test_a_retried_distribution_publishes_only_what_the_failed_attempt_did_not(
    stack_outputs, progress, counted_topic, unique
):
    topic, drain = counted_topic
    author = f"author-{unique}"
    followers = [f"fan-{i:04d}" for i in range(1_200)]
    relationships = bind_relationship_model(stack_outputs["RelationshipsTableName"])
    with relationships.batch_write() as batch:
        for follower in followers:
            batch.save(relationships(author, follower))
    publisher = FailsOnCall(SnsMessagePublisher(boto3.client("sns"), topic), n=2)
    service = DistributionService(
        DynamoFollowerStore(relationships),
        InMemoryGroupPublisher({"feed": publisher}),  # type: ignore[dict-item]
        RoutingTable.declare({"yubl-posted": ["feed"]}, {"feed": topic}),
        group_size=50,  # 24 messages: batches of 10, 10, 4
        page_size=100,
        progress=progress,
        posts=InMemoryPostStore(),
    )
    event = yubl_posted_event(new_yubl(author, "resume me", now=datetime.now(UTC)))
    yubl_id = event["yubl"]["yubl_id"]

    # WHEN the second PublishBatch call fails, and the record is then retried
    with pytest.raises(RuntimeError, match="SNS unavailable"):
        service.distribute(event)
    assert progress.last_published(yubl_id, "feed") == "fan-0499"
    result = service.distribute(event)

    # THEN the topic carried 24 messages in all: each follower exactly once
    bodies = drain(expected=24)
    assert len(bodies) == 24
    assert Counter(f for body in bodies for f in body["followers"]) == Counter(followers)
    assert result == Distribution(
        yubl_id,
        "yubl-posted",
        (GroupDelivery("feed", 14, 2, followers=700, resumed_after="fan-0499", lane="priority"),),
    )
    assert progress.last_published(yubl_id, "feed") == "fan-1199"
