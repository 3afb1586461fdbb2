"""The local runtime against a real emulator: exact SNS and SQS event values and start-up
errors (the delivery rules themselves are pinned in tests/conformance)."""

from __future__ import annotations

import hashlib
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


def test_missing_topic_is_a_clear_error_at_start(tmp_path: Path, sns):
    missing = unique("no-such-topic")
    app_dir = write_project(tmp_path, SNS_APP, app_name="lr-sns", environment={"TOPIC": missing})
    runtime = LocalRuntime.from_project(app_dir, "local")
    with pytest.raises(ConfigError) as raised:
        runtime.start()
    assert str(raised.value) == f"notified: SNS topic {missing} does not exist"


def test_an_sqs_record_carries_the_queue_and_the_message_values(tmp_path: Path, sqs):
    # GIVEN a message with an attribute (how batches are cut and deleted: tests/conformance)
    queue = unique("lr-queue")
    url = sqs.create_queue(QueueName=queue)["QueueUrl"]
    message_id = sqs.send_message(
        QueueUrl=url,
        MessageBody="a",
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "letter"}},
    )["MessageId"]
    app_dir = write_project(
        tmp_path, SQS_APP, app_name="lr-sqs", environment={"QUEUE": queue, "BATCH_SIZE": "2"}
    )
    runtime = LocalRuntime.from_project(app_dir, "local")
    with runtime:
        runtime.wait_until_idle(20)
    # THEN the record names the queue and carries the message's own values
    (invocation,) = runtime.invocations
    (record,) = invocation.event["Records"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    assert (record["messageId"], record["body"]) == (message_id, "a")
    assert record["md5OfBody"] == hashlib.md5(b"a").hexdigest()
    assert (record["eventSource"], record["eventSourceARN"], record["awsRegion"]) == (
        "aws:sqs",
        queue_arn,
        "us-east-1",
    )
    assert record["messageAttributes"] == {
        "kind": {
            "stringValue": "letter",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "String",
        }
    }
    assert record["attributes"]["ApproximateReceiveCount"] == "1"


def test_a_deleted_on_failure_queue_holds_the_event_until_it_is_back(tmp_path: Path, sns, sqs):
    # GIVEN no retries and an on-failure queue that is deleted when the function fails
    topic = unique("lr-topic")
    topic_arn = sns.create_topic(Name=topic)["TopicArn"]
    dlq = unique("lr-dlq")
    dlq_url = sqs.create_queue(QueueName=dlq)["QueueUrl"]
    dlq_arn = f"arn:aws:sqs:us-east-1:123456789012:{dlq}"
    app_dir = write_project(
        tmp_path,
        SNS_APP,
        app_name="lr-sns",
        environment={"TOPIC": topic},
        functions={
            "notified": {
                "event_source": {
                    "MaximumRetryAttempts": 0,
                    "DestinationConfig": {"OnFailure": {"Destination": dlq_arn}},
                }
            }
        },
    )
    runtime = LocalRuntime.from_project(app_dir, "local", poll_interval=0.05)
    runtime.on_invocation(lambda invocation: sqs.delete_queue(QueueUrl=dlq_url))
    with runtime:
        sns.publish(TopicArn=topic_arn, Message="fail")
        # WHEN the failure record cannot be written
        runtime.wait_for(lambda: runtime.status_lines(), timeout=30)
        (stuck_line,) = runtime.status_lines()
        # AND the queue comes back
        sqs.create_queue(QueueName=dlq)
        runtime.wait_until_idle(30)
        lines_after = runtime.status_lines()
    # THEN the subscription said why it was stuck, then wrote the record once
    assert stuck_line == (
        f"notified sns:{topic} retries-waiting=0 stuck: on-failure record to {dlq_arn} "
        "failed (QueueDoesNotExist: The specified queue does not exist.)"
    )
    assert lines_after == []
    assert [i.ok for i in runtime.invocations] == [False]
    received = sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10)["Messages"]
    (record,) = [json.loads(m["Body"]) for m in received]
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestPayload"] == runtime.invocations[0].event
