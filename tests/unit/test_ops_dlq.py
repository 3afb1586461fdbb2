"""The operator command without a running stack, and its pure parts (no emulator)."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys

import pytest
from aws_kinesis_agg.aggregator import RecordAggregator

from devstack.emulator import free_port
from devstack.stack import PROJECT_DIR
from local_runtime.events import async_result_record
from ops.kinesis_batches import Refused, StreamRecord
from ops.parked import correlation_attributes, handler_of, parked_from_async, parked_from_kinesis
from tests.aws_samples import KINESIS_FAILURE_SAMPLE, sns_event


def _expected(port: int) -> str:
    return (
        f"ops.dlq: nothing answers at http://127.0.0.1:{port}/: is the local stack running? "
        "Start it with `make run` (and give make dlq the same LOCAL_AWS_PORT)"
    )


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LOCAL_"))}


def test_ops_dlq_against_a_stack_that_is_not_running_says_so_in_one_line():
    port = free_port()
    env = {
        **_clean_env(),
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    done = subprocess.run(
        [sys.executable, "-m", "ops.dlq", "list"],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (done.returncode, done.stdout, done.stderr) == (2, "", _expected(port) + "\n")


def test_make_dlq_against_a_stack_that_is_not_running_says_so_without_a_traceback():
    port = free_port()
    done = subprocess.run(
        ["make", "--no-print-directory", "dlq", f"LOCAL_AWS_PORT={port}"],
        cwd=PROJECT_DIR,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = done.stderr.splitlines()
    assert done.returncode != 0 and done.stdout == ""
    assert lines[0] == _expected(port)
    assert [line for line in lines[1:] if not re.match(r"make(\[\d+\])?: \*\*\* ", line)] == []


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:lambda:us-east-1:123456789012:function:yubl-fanout-dev-add_to_feed",
        "arn:aws:lambda:us-east-1:123456789012:function:yubl-fanout-dev-add_to_feed:$LATEST",
    ],
)
def test_the_handler_is_the_function_name_without_the_stage_prefix(arn):
    assert handler_of(arn, "yubl-fanout-dev", {"add_to_feed"}) == "add_to_feed"


def test_a_function_of_another_stage_is_refused():
    arn = "arn:aws:lambda:us-east-1:123456789012:function:yubl-fanout-prod-add_to_feed"
    with pytest.raises(Refused) as refused:
        handler_of(arn, "yubl-fanout-dev", {"add_to_feed"})
    assert str(refused.value) == (
        "function yubl-fanout-prod-add_to_feed is none of this stage's handlers (add_to_feed)"
    )


def test_parked_attributes_keep_the_first_three_under_the_sqs_limit():
    context = {f"x-correlation-k{n:02d}": f"v{n}" for n in range(12)}
    context.update({"X-Correlation-Id": "c-1", "call-chain-length": "4", "x-correlation-e": ""})
    attributes = correlation_attributes(context)
    assert list(attributes) == [
        "x-correlation-id",
        "call-chain-length",
        *[f"x-correlation-k{n:02d}" for n in range(8)],
    ]
    assert attributes["call-chain-length"] == {"DataType": "String", "StringValue": "4"}
    assert attributes["x-correlation-id"] == {"DataType": "String", "StringValue": "c-1"}


def test_no_context_gives_no_attributes():
    assert correlation_attributes(None) == {}
    assert correlation_attributes(["not", "an", "object"]) == {}


def test_a_failed_asynchronous_invocation_is_parked_record_by_record():
    # GIVEN the local runtime's record of an add_to_feed invocation Lambda gave up
    attributes = {
        "x-correlation-id": {"Type": "String", "Value": "c-7"},
        "call-chain-length": {"Type": "String", "Value": "2"},
        "routing": {"Type": "String", "Value": "feed"},
    }
    event = sns_event(attributes, message='{"type": "feed-fanout", "followers": ["f1"]}')
    body = async_result_record(
        request_id="r-1",
        function_arn="arn:aws:lambda:us-east-1:123456789012:function:yubl-fanout-local-add_to_feed",
        condition="RetriesExhausted",
        invoke_count=3,
        payload=event,
        function_error="Unhandled",
        response_payload={"errorMessage": "feeds table throttled", "errorType": "Throttled"},
        now=1795447800.5,
    )
    # WHEN it is turned into parked records
    [(parked, sqs_attributes)] = parked_from_async(body, "add_to_feed")
    # THEN the retry worker gets the SNS message's payload and its correlation ids
    sns = event["Records"][0]["Sns"]
    assert parked == {
        "handler": "add_to_feed",
        "policy": "on_failure_destination",
        "payload": {"type": "feed-fanout", "followers": ["f1"]},
        "text": None,
        "error": {
            "type": "RetriesExhausted",
            "message": "Lambda gave up the invocation (feeds table throttled)",
        },
        "attempts": 3,
        "first_failure_at": "2026-11-23T15:30:00.500Z",
        "origin": {"TopicArn": sns["TopicArn"], "MessageId": sns["MessageId"]},
    }
    assert sqs_attributes == {
        "x-correlation-id": {"DataType": "String", "StringValue": "c-7"},
        "call-chain-length": {"DataType": "String", "StringValue": "2"},
    }


def test_an_invocation_record_of_another_event_source_is_refused():
    body = {"requestContext": {"condition": "RetriesExhausted"}, "requestPayload": {"a": 1}}
    with pytest.raises(Refused) as refused:
        parked_from_async(body, "add_to_feed")
    assert (
        str(refused.value) == "Lambda's record of a failed invocation whose event is not from SNS"
    )


SEQUENCE = KINESIS_FAILURE_SAMPLE["KinesisBatchInfo"]["startSequenceNumber"]
STREAM_ARN = KINESIS_FAILURE_SAMPLE["KinesisBatchInfo"]["streamArn"]
GAVE_UP = (
    f"Lambda gave up the batch {SEQUENCE}.."
    f"{KINESIS_FAILURE_SAMPLE['KinesisBatchInfo']['endSequenceNumber']} "
    "of shardId-000000000001 (Unhandled)"
)


def _event(n: int) -> dict:
    return {"type": "yubl-posted", "n": n, "__context__": {"x-correlation-id": f"c-{n}"}}


def _aggregate(parts: list[tuple[str, bytes]]) -> bytes:
    """A KPL aggregate made with aws-kinesis-agg (what producers use), not our writer."""
    aggregator = RecordAggregator()
    for key, data in parts:
        assert aggregator.add_user_record(key, data) is None
    return aggregator.clear_and_get().get_contents()[2]


def test_a_re_read_aggregate_is_parked_one_user_record_at_a_time():
    # GIVEN Lambda gave up a batch whose one record is an aggregate of three user records,
    # the middle one not JSON
    parts = [("alice", json.dumps(_event(0)).encode()), ("bob", b"not json")]
    parts.append(("alice", json.dumps(_event(2)).encode()))
    blob = _aggregate(parts)
    # WHEN the re-read record is turned into parked messages
    parked = parked_from_kinesis(
        KINESIS_FAILURE_SAMPLE, "distribute_yubl", [StreamRecord(SEQUENCE, "alice", blob)]
    )
    # THEN there is one a user record, in order, each with its own data, key and numbers
    bodies = [body for body, _ in parked]
    assert [(b["payload"], b["text"]) for b in bodies] == [
        (_event(0), None),
        (None, "not json"),
        (_event(2), None),
    ]
    assert bodies[1] == {
        "handler": "distribute_yubl",
        "policy": "on_failure_destination",
        "payload": None,
        "text": "not json",
        "error": {"type": "RetryAttemptsExhausted", "message": GAVE_UP},
        "attempts": 1,
        "first_failure_at": "2019-11-14T00:38:06.021Z",
        "origin": {
            "eventSourceARN": STREAM_ARN,
            "eventID": f"shardId-000000000001:{SEQUENCE}",
            "partitionKey": "bob",
            "sequenceNumber": SEQUENCE,
            "subSequenceNumber": 1,
            "aggregated": True,
            "data": base64.b64encode(b"not json").decode(),
        },
    }
    assert [(b["origin"]["partitionKey"], b["origin"]["subSequenceNumber"]) for b in bodies] == [
        ("alice", 0),
        ("bob", 1),
        ("alice", 2),
    ]
    # AND each carries its own correlation ids (the poison one has none to carry)
    assert [attributes.get("x-correlation-id") for _, attributes in parked] == [
        {"DataType": "String", "StringValue": "c-0"},
        None,
        {"DataType": "String", "StringValue": "c-2"},
    ]


def test_a_corrupt_re_read_aggregate_is_parked_whole_with_the_reason():
    blob = _aggregate([("alice", json.dumps(_event(0)).encode())])
    blob = blob[:-1] + bytes([blob[-1] ^ 1])
    [(body, attributes)] = parked_from_kinesis(
        KINESIS_FAILURE_SAMPLE, "distribute_yubl", [StreamRecord(SEQUENCE, "alice", blob)]
    )
    assert (body["payload"], body["text"], attributes) == (None, None, {})
    assert body["error"]["message"] == (
        f"{GAVE_UP}; KPL aggregate's MD5 digest does not match its contents"
    )
    assert body["origin"]["aggregated"] is True
    assert base64.b64decode(body["origin"]["data"]) == blob
