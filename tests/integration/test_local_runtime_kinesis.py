"""The local runtime against a real emulator: Kinesis pollers, checkpoints, retries."""

from __future__ import annotations

import base64
import time
from pathlib import Path

import boto3
import pytest

from local_runtime import LocalRuntime
from tests.conformance.projects import (  # noqa: F401 (restore_environ is a fixture)
    data_of,
    kinesis_batches,
    restore_environ,
    unique,
    write_project,
)

pytestmark = pytest.mark.emulator

APP = """
import os
from chalice import Chalice

app = Chalice(app_name="lr-kinesis")
FAILURES_LEFT = [int(os.environ.get("FAIL_FIRST", "0"))]


@app.on_kinesis_record(
    stream=os.environ["STREAM"],
    batch_size=int(os.environ["BATCH_SIZE"]),
    starting_position=os.environ["START"],
    maximum_batching_window_in_seconds=int(os.environ.get("WINDOW", "0")),
)
def consume(event):
    if FAILURES_LEFT[0] > 0:
        FAILURES_LEFT[0] -= 1
        raise RuntimeError("failing on purpose")
"""


@pytest.fixture
def kinesis(emulator_endpoint: str):
    return boto3.client("kinesis")


@pytest.fixture
def stream(kinesis) -> str:
    name = unique("lr-stream")
    kinesis.create_stream(StreamName=name, ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.2})
    return name


def project(tmp_path: Path, stream: str, **env: str) -> Path:
    environment = {"STREAM": stream, "BATCH_SIZE": "100", "START": "TRIM_HORIZON", **env}
    return write_project(tmp_path / "app", APP, app_name="lr-kinesis", environment=environment)


def put(kinesis, stream: str, *items: str) -> list[str]:
    return [
        kinesis.put_record(StreamName=stream, Data=item.encode(), PartitionKey="pk")[
            "SequenceNumber"
        ]
        for item in items
    ]


def test_batches_are_cut_at_batch_size_in_stream_order(tmp_path, kinesis, stream):
    # GIVEN five records already in the stream and a TRIM_HORIZON mapping of batch size 2
    put(kinesis, stream, "a", "b", "c", "d", "e")
    runtime = LocalRuntime.from_project(project(tmp_path, stream, BATCH_SIZE="2"), "local")
    # WHEN the runtime catches up
    with runtime:
        runtime.wait_until_idle(20)
    # THEN the handler saw three batches, in order
    assert kinesis_batches(runtime.invocations) == [["a", "b"], ["c", "d"], ["e"]]
    assert [i.ok for i in runtime.invocations] == [True, True, True]


def test_event_has_the_exact_lambda_shape(tmp_path, kinesis, stream):
    # GIVEN one record in the stream
    (sequence,) = put(kinesis, stream, "hello")
    shard = kinesis.list_shards(StreamName=stream)["Shards"][0]["ShardId"]
    iterator = kinesis.get_shard_iterator(
        StreamName=stream, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    arrival = kinesis.get_records(ShardIterator=iterator)["Records"][0][
        "ApproximateArrivalTimestamp"
    ].timestamp()
    arn = kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"][
        "StreamARN"
    ]
    runtime = LocalRuntime.from_project(project(tmp_path, stream), "local")
    # WHEN it is delivered
    with runtime:
        runtime.wait_until_idle(20)
    # THEN the event is field for field what Lambda sends
    (invocation,) = runtime.invocations
    assert invocation.event == {
        "Records": [
            {
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": "pk",
                    "sequenceNumber": sequence,
                    "data": base64.b64encode(b"hello").decode(),
                    "approximateArrivalTimestamp": arrival,
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": f"{shard}:{sequence}",
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": "arn:aws:iam::123456789012:role/lr-kinesis-local",
                "awsRegion": "us-east-1",
                "eventSourceARN": arn,
            }
        ]
    }
    assert invocation.function == "consume"
    assert invocation.source == f"kinesis:{stream}/{shard}"


def test_latest_skips_records_written_before_the_start(tmp_path, kinesis, stream):
    # GIVEN a record written before a LATEST mapping starts
    put(kinesis, stream, "old")
    runtime = LocalRuntime.from_project(project(tmp_path, stream, START="LATEST"), "local")
    with runtime:
        # WHEN another is written after start() returned
        put(kinesis, stream, "new")
        runtime.wait_until_idle(20)
    # THEN only the new one is delivered
    assert kinesis_batches(runtime.invocations) == [["new"]]


def test_checkpoint_survives_a_restart(tmp_path, kinesis, stream, emulator_endpoint):
    # GIVEN a LATEST mapping that processed two records and was stopped
    app_dir = project(tmp_path, stream, START="LATEST")
    first = LocalRuntime.from_project(app_dir, "local")
    with first:
        put(kinesis, stream, "one", "two")
        first.wait_until_idle(20)
    # WHEN records arrive while it is down, and it starts again
    put(kinesis, stream, "three", "four")
    second = LocalRuntime.from_project(app_dir, "local")
    with second:
        second.wait_until_idle(20)
    # THEN it resumes after its checkpoint: nothing lost, nothing repeated
    assert [d for i in first.invocations for d in data_of(i)] == ["one", "two"]
    assert [d for i in second.invocations for d in data_of(i)] == ["three", "four"]


def test_a_restart_before_the_first_record_loses_nothing(tmp_path, kinesis, stream):
    # GIVEN a LATEST mapping that started and stopped without seeing a record
    app_dir = project(tmp_path, stream, START="LATEST")
    with LocalRuntime.from_project(app_dir, "local") as first:
        first.wait_until_idle(20)
    # WHEN a record is written while it is down
    put(kinesis, stream, "while-down")
    second = LocalRuntime.from_project(app_dir, "local")
    with second:
        second.wait_until_idle(20)
    # THEN the restarted mapping delivers it
    assert kinesis_batches(second.invocations) == [["while-down"]]


def test_checkpoints_live_in_dynamodb(tmp_path, kinesis, stream):
    # GIVEN a mapping that processed two records
    (_, last) = put(kinesis, stream, "x", "y")
    runtime = LocalRuntime.from_project(project(tmp_path, stream), "local")
    with runtime:
        runtime.wait_until_idle(20)
    # THEN the lease table holds the last sequence number for the function and shard
    items = boto3.client("dynamodb").scan(TableName="local-runtime-checkpoints")["Items"]
    mine = [i for i in items if i["mapping"]["S"].endswith(f"|{stream}")]
    assert [(i["mapping"]["S"], i["shard_id"]["S"], i["sequence_number"]["S"]) for i in mine] == [
        (
            f"arn:aws:lambda:us-east-1:123456789012:function:lr-kinesis-local-consume|{stream}",
            "shardId-000000000000",
            last,
        )
    ]


def test_a_failing_batch_is_retried_in_order_until_it_succeeds(tmp_path, kinesis, stream):
    # GIVEN a handler that fails its first two invocations
    put(kinesis, stream, "a", "b", "c")
    runtime = LocalRuntime.from_project(
        project(tmp_path, stream, BATCH_SIZE="2", FAIL_FIRST="2"), "local"
    )
    # WHEN the runtime catches up
    with runtime:
        runtime.wait_until_idle(30)
    # THEN the same batch was retried, in order, before the shard moved on
    assert kinesis_batches(runtime.invocations) == [["a", "b"], ["a", "b"], ["a", "b"], ["c"]]
    assert [i.ok for i in runtime.invocations] == [False, False, True, True]


def test_the_batching_window_gathers_records_into_one_batch(tmp_path, kinesis, stream):
    # GIVEN a LATEST mapping with a 2 second batching window
    runtime = LocalRuntime.from_project(
        project(tmp_path, stream, START="LATEST", WINDOW="2"), "local"
    )
    with runtime:
        # WHEN two records arrive one after the other
        put(kinesis, stream, "first")
        put(kinesis, stream, "second")
        runtime.wait_until_idle(20)
    # THEN they are handed over together
    assert kinesis_batches(runtime.invocations) == [["first", "second"]]


def test_iterator_age_is_reported_per_function_and_shard(tmp_path, kinesis, stream):
    put(kinesis, stream, "a")
    runtime = LocalRuntime.from_project(project(tmp_path, stream), "local")
    with runtime:
        runtime.wait_until_idle(20)
        ages = runtime.iterator_ages()
        lines = runtime.status_lines()
    assert list(ages) == [("consume", "shardId-000000000000")]
    age = ages[("consume", "shardId-000000000000")]
    assert age is not None and 0 <= age < (time.time() + 1) * 1000
    assert lines[0].startswith(f"consume kinesis:{stream}/shardId-000000000000 IteratorAge=")
