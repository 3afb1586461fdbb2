"""Kinesis errors: MaximumRetryAttempts, BisectBatchOnFunctionError, MaximumRecordAgeInSeconds,
and the exact on-failure destination record (SQS or SNS).
"""

from __future__ import annotations

import re
import time

import pytest

from local_runtime import Invocation, LocalRuntime
from tests.conformance.projects import (
    data_of,
    iso_utc,
    kinesis_batches,
    kinesis_project,
    put_many,
    stream_arn,
    stream_arrivals,
    unique,
)

pytestmark = pytest.mark.emulator

FAST = {"stream_retry_delays": (0.01, 0.05), "poll_interval": 0.05}
FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:conformance-local-consume"


def without_timestamp(record: dict) -> dict:
    """The record minus its write time, which is checked for its format instead."""
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", record["timestamp"])
    return {k: v for k, v in record.items() if k != "timestamp"}


def expected_failure_record(
    *,
    request_id: str,
    condition: str,
    invokes: int,
    shard: str,
    sequences: list[str],
    arrivals: dict[str, float],
    arn: str,
    function_error: bool = True,
) -> dict:
    response = {"statusCode": 200, "executedVersion": "$LATEST"}
    if function_error:
        response["functionError"] = "Unhandled"
    return {
        "requestContext": {
            "requestId": request_id,
            "functionArn": FUNCTION_ARN,
            "condition": condition,
            "approximateInvokeCount": invokes,
        },
        "responseContext": response,
        "version": "1.0",
        "KinesisBatchInfo": {
            "shardId": shard,
            "startSequenceNumber": sequences[0],
            "endSequenceNumber": sequences[-1],
            "approximateArrivalOfFirstRecord": iso_utc(arrivals[sequences[0]]),
            "approximateArrivalOfLastRecord": iso_utc(arrivals[sequences[-1]]),
            "batchSize": len(sequences),
            "streamArn": arn,
        },
    }


def test_bisect_finds_the_poison_record_and_only_it_reaches_the_destination(
    tmp_path, kinesis, new_stream, new_queue, drain
):
    """Lambda guide, Kinesis error handling: "For function errors, you can also configure
    the event source mapping to split a failed batch into two batches. [...] Splitting a
    batch does not count towards the retry quota."
    """
    # GIVEN 300 records with a poison record at position 83, batch size 200, bisect on
    # error, 2 retries and an SQS on-failure destination given by ARN
    stream = new_stream()
    items = [f"poison-{i}" if i == 83 else f"r{i}" for i in range(300)]
    sequences = put_many(kinesis, stream, items)
    _, dlq_url, dlq_arn = new_queue()
    app_dir = kinesis_project(
        tmp_path,
        stream,
        batch_size=200,
        event_source={
            "BisectBatchOnFunctionError": True,
            "MaximumRetryAttempts": 2,
            "DestinationConfig": {"OnFailure": {"Destination": dlq_arn}},
        },
    )
    runtime = LocalRuntime.from_project(app_dir, "local", **FAST)
    # WHEN the runtime works through the shard
    with runtime:
        runtime.wait_until_idle(60)
    # THEN the batch is halved until the poison record is alone, which is retried twice,
    # sent to the destination, and the shard goes on
    spans = [(i.event["Records"][0], len(i.event["Records"]), i.ok) for i in runtime.invocations]
    ranges = [(items.index(data_of_record(first)), size, ok) for first, size, ok in spans]
    assert ranges == [
        (0, 200, False),
        (0, 100, False),
        (0, 50, True),
        (50, 50, False),
        (50, 25, True),
        (75, 25, False),
        (75, 12, False),
        (75, 6, True),
        (81, 6, False),
        (81, 3, False),
        (81, 1, True),
        (82, 2, False),
        (82, 1, True),
        (83, 1, False),
        (83, 1, False),
        (83, 1, False),
        (84, 3, True),
        (87, 13, True),
        (100, 100, True),
        (200, 100, True),
    ]
    (record,) = drain(dlq_url)
    assert without_timestamp(record) == expected_failure_record(
        request_id=runtime.invocations[15].request_id,
        condition="RetryAttemptsExhausted",
        invokes=3,
        shard="shardId-000000000000",
        sequences=[sequences[83]],
        arrivals=stream_arrivals(kinesis, stream),
        arn=stream_arn(kinesis, stream),
    )
    # AND every other record was handed over successfully exactly once
    delivered = [d for i in runtime.invocations if i.ok for d in data_of(i)]
    assert delivered == [item for item in items if item != "poison-83"]


def data_of_record(record: dict) -> str:
    import base64

    return base64.b64decode(record["kinesis"]["data"]).decode()


def test_without_bisect_the_whole_batch_is_retried_then_sent_to_the_destination(
    tmp_path, kinesis, new_stream, new_queue, drain
):
    # GIVEN five records, the second poison, batch size 3, one retry, destination by name
    stream = new_stream()
    items = ["a", "poison-b", "c", "d", "e"]
    sequences = put_many(kinesis, stream, items)
    dlq_name, dlq_url, _ = new_queue()
    app_dir = kinesis_project(
        tmp_path,
        stream,
        batch_size=3,
        event_source={
            "MaximumRetryAttempts": 1,
            "DestinationConfig": {"OnFailure": {"Destination": dlq_name}},
        },
    )
    runtime = LocalRuntime.from_project(app_dir, "local", **FAST)
    with runtime:
        runtime.wait_until_idle(30)
    # THEN the batch was invoked twice in the same order, given up, and the shard went on
    assert kinesis_batches(runtime.invocations) == [
        ["a", "poison-b", "c"],
        ["a", "poison-b", "c"],
        ["d", "e"],
    ]
    assert [i.ok for i in runtime.invocations] == [False, False, True]
    (record,) = drain(dlq_url)
    assert without_timestamp(record) == expected_failure_record(
        request_id=runtime.invocations[1].request_id,
        condition="RetryAttemptsExhausted",
        invokes=2,
        shard="shardId-000000000000",
        sequences=sequences[0:3],
        arrivals=stream_arrivals(kinesis, stream),
        arn=stream_arn(kinesis, stream),
    )


def test_zero_retries_gives_up_after_the_first_failure_and_sns_destination_gets_it(
    tmp_path, kinesis, sns, sqs, new_stream, new_queue, drain
):
    # GIVEN an SNS topic as the destination (read here through a raw SQS subscription)
    stream = new_stream()
    sequences = put_many(kinesis, stream, ["poison-1", "ok-2"])
    topic = unique("conf-failures")
    topic_arn = sns.create_topic(Name=topic)["TopicArn"]
    _, reader_url, reader_arn = new_queue()
    sns.subscribe(
        TopicArn=topic_arn,
        Protocol="sqs",
        Endpoint=reader_arn,
        Attributes={"RawMessageDelivery": "true"},
    )
    app_dir = kinesis_project(
        tmp_path,
        stream,
        batch_size=1,
        event_source={
            "MaximumRetryAttempts": 0,
            "DestinationConfig": {"OnFailure": {"Destination": topic_arn}},
        },
    )
    runtime = LocalRuntime.from_project(app_dir, "local", **FAST)
    with runtime:
        runtime.wait_until_idle(30)
    assert kinesis_batches(runtime.invocations) == [["poison-1"], ["ok-2"]]
    (record,) = drain(reader_url)
    assert without_timestamp(record) == expected_failure_record(
        request_id=runtime.invocations[0].request_id,
        condition="RetryAttemptsExhausted",
        invokes=1,
        shard="shardId-000000000000",
        sequences=sequences[0:1],
        arrivals=stream_arrivals(kinesis, stream),
        arn=stream_arn(kinesis, stream),
    )


def test_records_older_than_the_maximum_age_go_to_the_destination(
    tmp_path, kinesis, new_stream, new_queue, drain
):
    """Retries with record age: "If the function receives the records but returns an
    error, Lambda retries until the records in the batch expire, exceed the maximum age,
    or reach the configured retry quota." (Lambda guide, Kinesis error handling)
    """
    # GIVEN retries forever but a maximum record age of 60 s, and a clock that the test
    # moves two minutes ahead right after the second failed invocation
    stream = new_stream()
    sequences = put_many(kinesis, stream, ["poison-1", "x", "y"])
    _, dlq_url, dlq_arn = new_queue()
    app_dir = kinesis_project(
        tmp_path,
        stream,
        batch_size=2,
        event_source={
            "MaximumRecordAgeInSeconds": 60,
            "DestinationConfig": {"OnFailure": {"Destination": dlq_arn}},
        },
    )
    offset = [0.0]
    runtime = LocalRuntime.from_project(
        app_dir, "local", clock=lambda: time.time() + offset[0], **FAST
    )

    def age_after_second_failure(invocation: Invocation) -> None:
        if len([i for i in runtime.invocations if not i.ok]) == 2:
            offset[0] = 120.0

    runtime.on_invocation(age_after_second_failure)
    with runtime:
        runtime.wait_until_idle(30)
    # THEN the failing batch was tried twice, then dropped as too old; the next record, now
    # also older than a minute, is dropped too without an invocation
    assert kinesis_batches(runtime.invocations) == [["poison-1", "x"], ["poison-1", "x"]]
    arrivals = stream_arrivals(kinesis, stream)
    records = [without_timestamp(r) for r in drain(dlq_url)]
    # never invoked, the second batch has a request id of its own
    fresh_id = records[1]["requestContext"]["requestId"]
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", fresh_id)
    assert fresh_id not in {i.request_id for i in runtime.invocations}
    assert records == [
        expected_failure_record(
            request_id=runtime.invocations[1].request_id,
            condition="RecordAgeExceeded",
            invokes=2,
            shard="shardId-000000000000",
            sequences=sequences[0:2],
            arrivals=arrivals,
            arn=stream_arn(kinesis, stream),
        ),
        expected_failure_record(
            request_id=fresh_id,
            condition="RecordAgeExceeded",
            invokes=0,
            shard="shardId-000000000000",
            sequences=sequences[2:3],
            arrivals=arrivals,
            arn=stream_arn(kinesis, stream),
            function_error=False,
        ),
    ]
