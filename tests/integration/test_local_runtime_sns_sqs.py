"""The local runtime against a real emulator: SNS delivery and SQS pollers."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

from local_runtime import ConfigError, LocalRuntime
from tests.conformance.projects import (  # noqa: F401 (restore_environ is a fixture)
    restore_environ,
    unique,
    write_project,
)

pytestmark = pytest.mark.emulator

SNS_APP = """
import os
from chalice import Chalice

app = Chalice(app_name="lr-sns")


@app.on_sns_message(topic=os.environ["TOPIC"])
def notified(event):
    if event.message == "fail":
        raise ValueError("cannot take this one")
"""

SQS_APP = """
import os
from chalice import Chalice

app = Chalice(app_name="lr-sqs")


@app.on_sqs_message(queue=os.environ["QUEUE"], batch_size=int(os.environ["BATCH_SIZE"]))
def queued(event):
    for record in event:
        if record.body == "fail":
            raise ValueError("cannot take this one")
"""


@pytest.fixture
def sns(emulator_endpoint: str):
    return boto3.client("sns")


@pytest.fixture
def sqs(emulator_endpoint: str):
    return boto3.client("sqs")


def test_sns_message_arrives_as_the_exact_lambda_sns_event(tmp_path: Path, sns):
    # GIVEN a topic and an app subscribed to it by name
    topic = unique("lr-topic")
    topic_arn = sns.create_topic(Name=topic)["TopicArn"]
    app_dir = write_project(tmp_path, SNS_APP, app_name="lr-sns", environment={"TOPIC": topic})
    runtime = LocalRuntime.from_project(app_dir, "local")
    with runtime:
        # WHEN a message with a subject and attributes is published
        message_id = sns.publish(
            TopicArn=topic_arn,
            Message="hello",
            Subject="greeting",
            MessageAttributes={
                "x-correlation-id": {"DataType": "String", "StringValue": "abc"},
                "count": {"DataType": "Number", "StringValue": "3"},
            },
        )["MessageId"]
        runtime.wait_until_idle(20)
    # THEN the handler got one record shaped as Lambda's SNS event
    (invocation,) = runtime.invocations
    (record,) = invocation.event["Records"]
    sns_part = record["Sns"]
    assert record["EventVersion"] == "1.0"
    assert record["EventSource"] == "aws:sns"
    assert record["EventSubscriptionArn"].startswith(f"{topic_arn}:")
    assert sns_part["MessageId"] == message_id
    assert sns_part["Message"] == "hello"
    assert sns_part["Subject"] == "greeting"
    assert sns_part["TopicArn"] == topic_arn
    assert sns_part["Type"] == "Notification"
    assert sns_part["MessageAttributes"] == {
        "x-correlation-id": {"Type": "String", "Value": "abc"},
        "count": {"Type": "Number", "Value": "3"},
    }
    assert sorted(sns_part) == sorted(
        [
            "SignatureVersion",
            "Timestamp",
            "Signature",
            "SigningCertUrl",
            "MessageId",
            "Message",
            "MessageAttributes",
            "Type",
            "UnsubscribeUrl",
            "TopicArn",
            "Subject",
        ]
    )
    assert invocation.ok


def test_sns_message_without_subject_has_a_null_subject(tmp_path: Path, sns):
    topic = unique("lr-topic")
    topic_arn = sns.create_topic(Name=topic)["TopicArn"]
    app_dir = write_project(tmp_path, SNS_APP, app_name="lr-sns", environment={"TOPIC": topic_arn})
    runtime = LocalRuntime.from_project(app_dir, "local")
    with runtime:
        sns.publish(TopicArn=topic_arn, Message="plain")
        runtime.wait_until_idle(20)
    (invocation,) = runtime.invocations
    assert invocation.event["Records"][0]["Sns"]["Subject"] is None
    assert invocation.event["Records"][0]["Sns"]["MessageAttributes"] == {}


def test_sns_failures_are_retried_twice_then_dropped(tmp_path: Path, sns, monkeypatch):
    # GIVEN a handler that always fails, and retry delays shortened for the test
    monkeypatch.setenv("LOCAL_RUNTIME_ASYNC_RETRY_DELAYS", "0.1,0.1")
    topic = unique("lr-topic")
    topic_arn = sns.create_topic(Name=topic)["TopicArn"]
    app_dir = write_project(tmp_path, SNS_APP, app_name="lr-sns", environment={"TOPIC": topic})
    runtime = LocalRuntime.from_project(app_dir, "local")
    with runtime:
        # WHEN a message it cannot take is published
        sns.publish(TopicArn=topic_arn, Message="fail")
        runtime.wait_until_idle(20)
    # THEN it was invoked three times with the same event and request id, then given up
    invocations = runtime.invocations
    assert [i.ok for i in invocations] == [False, False, False]
    assert len({json.dumps(i.event, sort_keys=True) for i in invocations}) == 1
    assert len({i.request_id for i in invocations}) == 1


def test_missing_topic_is_a_clear_error_at_start(tmp_path: Path, sns):
    missing = unique("no-such-topic")
    app_dir = write_project(tmp_path, SNS_APP, app_name="lr-sns", environment={"TOPIC": missing})
    runtime = LocalRuntime.from_project(app_dir, "local")
    with pytest.raises(ConfigError) as raised:
        runtime.start()
    assert str(raised.value) == f"notified: SNS topic {missing} does not exist"


def test_sqs_messages_are_delivered_in_batches_and_deleted(tmp_path: Path, sqs):
    # GIVEN three messages in a queue and a handler of batch size 2
    queue = unique("lr-queue")
    url = sqs.create_queue(QueueName=queue)["QueueUrl"]
    for body in ("a", "b", "c"):
        sqs.send_message(
            QueueUrl=url,
            MessageBody=body,
            MessageAttributes={"kind": {"DataType": "String", "StringValue": "letter"}},
        )
    app_dir = write_project(
        tmp_path, SQS_APP, app_name="lr-sqs", environment={"QUEUE": queue, "BATCH_SIZE": "2"}
    )
    runtime = LocalRuntime.from_project(app_dir, "local")
    # WHEN the runtime catches up
    with runtime:
        runtime.wait_until_idle(20)
    # THEN every message was handed over once, in batches of at most 2, and deleted
    bodies = [[r["body"] for r in i.event["Records"]] for i in runtime.invocations]
    assert sorted(b for batch in bodies for b in batch) == ["a", "b", "c"]
    assert all(len(batch) <= 2 for batch in bodies)
    record = runtime.invocations[0].event["Records"][0]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == queue_arn
    assert record["awsRegion"] == "us-east-1"
    assert record["messageAttributes"] == {
        "kind": {
            "stringValue": "letter",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "String",
        }
    }
    assert sorted(record["attributes"]) == [
        "ApproximateFirstReceiveTimestamp",
        "ApproximateReceiveCount",
        "SenderId",
        "SentTimestamp",
    ]
    assert sorted(record) == [
        "attributes",
        "awsRegion",
        "body",
        "eventSource",
        "eventSourceARN",
        "md5OfBody",
        "messageAttributes",
        "messageId",
        "receiptHandle",
    ]
    left = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    assert left == {
        "ApproximateNumberOfMessages": "0",
        "ApproximateNumberOfMessagesNotVisible": "0",
    }
