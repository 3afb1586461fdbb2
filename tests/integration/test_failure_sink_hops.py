"""A parked record keeps its call-chain length: a retry is the same hop, not a new one."""

from __future__ import annotations

import json

import boto3
import pytest

from chalicelib.adapters.sqs_failure_sink import SqsFailureSink
from chalicelib.observability.correlation import check_call_chain
from chalicelib.streams.parking import FailedRecord
from chalicelib.streams.records import from_sqs

pytestmark = pytest.mark.emulator


def _as_lambda_record(message: dict) -> dict:
    """An SQS message as received, in the shape Lambda delivers it to a handler."""
    return {
        "messageId": message["MessageId"],
        "body": message["Body"],
        "eventSource": "aws:sqs",
        "messageAttributes": {
            name: {"stringValue": value["StringValue"], "dataType": value["DataType"]}
            for name, value in message["MessageAttributes"].items()
        },
    }


def test_a_record_parked_at_the_limit_can_still_be_retried(emulator_endpoint, unique):
    # GIVEN a retry queue, and a record that failed at hop 10 (the default limit)
    sqs = boto3.client("sqs")
    retry = sqs.create_queue(QueueName=f"retry-{unique}")["QueueUrl"]
    dead = sqs.create_queue(QueueName=f"dead-{unique}")["QueueUrl"]
    failed: FailedRecord = {
        "handler": "add_to_feed",
        "policy": "retry_then_park",
        "payload": {"n": 1},
        "text": None,
        "error": {"type": "RuntimeError", "message": "hiccup"},
        "attempts": 3,
        "first_failure_at": "2026-01-01T00:00:00.000Z",
        "origin": {},
    }
    ids = {"x-correlation-id": "c-1", "call-chain-length": "10", "debug-log-enabled": "false"}
    # WHEN the sink parks it and the retry worker's event source receives it
    SqsFailureSink(sqs, f"retry-{unique}", f"dead-{unique}").park(failed, ids)
    [message] = sqs.receive_message(
        QueueUrl=retry, MessageAttributeNames=["All"], WaitTimeSeconds=1
    )["Messages"]
    record = from_sqs(_as_lambda_record(message))
    # THEN it arrives at hop 10 still, and the loop guard lets the retry run
    assert record.correlation == ids
    assert check_call_chain(record.correlation) == 10
    assert (
        sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["ApproximateNumberOfMessages"])[
            "Attributes"
        ]["ApproximateNumberOfMessages"]
        == "0"
    )


def test_a_record_with_a_lone_surrogate_reaches_the_dead_letter_queue_intact(
    emulator_endpoint, unique
):
    # GIVEN a record that can never succeed, whose JSON held a lone surrogate
    sqs = boto3.client("sqs")
    sqs.create_queue(QueueName=f"retry-{unique}")
    dead = sqs.create_queue(QueueName=f"dead-{unique}")["QueueUrl"]
    failed = json.loads(
        '{"handler": "fan_out_range", "policy": "retry_then_park", "payload": {"yubl": '
        '"\\ud800"}, "text": null, "error": {"type": "InvalidInput", "message": '
        '"yubl: must be an object"}, "attempts": 1, "first_failure_at": '
        '"2026-11-24T03:19:05.274Z", "origin": {}}'
    )
    ids = {"x-correlation-id": "c-1", "call-chain-length": "1", "debug-log-enabled": "false"}
    # WHEN the sink dead-letters it
    SqsFailureSink(sqs, f"retry-{unique}", f"dead-{unique}").dead_letter(failed, ids)
    # THEN the queue holds it, reason and payload as they were
    [message] = sqs.receive_message(QueueUrl=dead, WaitTimeSeconds=1)["Messages"]
    assert json.loads(message["Body"]) == failed
    assert json.loads(message["Body"])["payload"]["yubl"] == "\ud800"
