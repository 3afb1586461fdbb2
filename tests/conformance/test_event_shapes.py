"""Every event and destination record has the documented AWS shape, key for key.

The samples are the Lambda developer guide's (also in the team's shared aws-events/);
values differ, so what is compared is the tree of keys and the type of every leaf.
"""

from __future__ import annotations

import json

import pytest

from local_runtime import LocalRuntime
from tests.aws_samples import (
    KINESIS_FAILURE_SAMPLE,
    KINESIS_SAMPLE,
    SNS_SAMPLE,
    SQS_SAMPLE,
    shape,
)
from tests.conformance.projects import kinesis_project, put_records, unique, write_project

pytestmark = pytest.mark.emulator

APP = """
import os
from chalice import Chalice

app = Chalice(app_name="conformance")


@app.on_kinesis_record(stream=os.environ["STREAM"], starting_position="TRIM_HORIZON")
def consume(event):
    raise ValueError("to see the failure record")


@app.on_sns_message(topic=os.environ["TOPIC"])
def notified(event):
    pass


@app.on_sqs_message(queue=os.environ["QUEUE"])
def queued(event):
    pass
"""


def test_events_and_failure_records_have_the_documented_shapes(
    tmp_path, kinesis, sns, sqs, new_stream, new_queue, drain
):
    # GIVEN one record, one notification and one message for a three-handler app
    stream = new_stream()
    put_records(kinesis, stream, ["hello"])
    topic = unique("conf-shapes")
    topic_arn = sns.create_topic(Name=topic)["TopicArn"]
    queue, queue_url, _ = new_queue()
    sqs.send_message(
        QueueUrl=queue_url,
        MessageBody="Test message.",
        MessageAttributes={"myAttribute": {"DataType": "String", "StringValue": "myValue"}},
    )
    _, dlq_url, dlq_arn = new_queue()
    app_dir = write_project(
        tmp_path,
        APP,
        environment={"STREAM": stream, "TOPIC": topic, "QUEUE": queue},
        functions={
            "consume": {
                "event_source": {
                    "MaximumRetryAttempts": 0,
                    "DestinationConfig": {"OnFailure": {"Destination": dlq_arn}},
                }
            }
        },
    )
    runtime = LocalRuntime.from_project(app_dir, poll_interval=0.05, receive_wait=0)
    with runtime:
        sns.publish(
            TopicArn=topic_arn,
            Message="Hello from SNS!",
            Subject="TestInvoke",
            MessageAttributes={
                "Test": {"DataType": "String", "StringValue": "TestString"},
                "TestBinary": {"DataType": "Binary", "BinaryValue": b"TestBinary"},
            },
        )
        runtime.wait_until_idle(30)
    events = {i.function: i.event for i in runtime.invocations}
    # THEN each has exactly the keys, nesting and leaf types of the documented sample
    assert shape(events["consume"]) == shape(KINESIS_SAMPLE)
    assert shape(events["notified"]) == shape(SNS_SAMPLE)
    assert shape(events["queued"]) == shape(SQS_SAMPLE)
    (failure,) = drain(dlq_url)
    assert shape(failure) == shape(KINESIS_FAILURE_SAMPLE)
    assert json.loads(json.dumps(failure)) == failure


def test_invoke_identity_is_the_role_the_project_names(tmp_path, kinesis, new_stream):
    # GIVEN a project that brings its own role (manage_iam_role false)
    stream = new_stream()
    put_records(kinesis, stream, ["hello"])
    app_dir = kinesis_project(tmp_path, stream)
    config_path = app_dir / ".chalice" / "config.json"
    config = json.loads(config_path.read_text())
    config["stages"]["local"].update(
        manage_iam_role=False, iam_role_arn="arn:aws:iam::123456789012:role/own-role"
    )
    config_path.write_text(json.dumps(config))
    runtime = LocalRuntime.from_project(app_dir, poll_interval=0.05, receive_wait=0)
    with runtime:
        runtime.wait_until_idle(30)
    # THEN the records name that role as Lambda would
    (invocation,) = runtime.invocations
    assert invocation.event["Records"][0]["invokeIdentityArn"] == (
        "arn:aws:iam::123456789012:role/own-role"
    )
