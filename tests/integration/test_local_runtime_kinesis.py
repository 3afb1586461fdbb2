"""The local runtime against a real emulator, beyond Lambda's rules (tests/conformance):
exact event values, lease-table checkpoints, and a shard that outlives its endpoint's
failures without losing a record."""

from __future__ import annotations

import base64
import random
import threading
from pathlib import Path

import boto3
import pytest

from local_runtime import LocalRuntime
from local_runtime.checkpoints import Checkpoint, CheckpointStore
from tests.conformance.projects import (  # noqa: F401 (restore_environ is a fixture)
    drain_queue,
    kinesis_batches,
    kinesis_project,
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


FAST = {"stream_retry_delays": (0.01, 0.05), "poll_interval": 0.05}
SHARD = "shardId-000000000000"


def status_line(runtime: LocalRuntime) -> str:
    (line,) = runtime.status_lines()
    return line


def test_a_deleted_destination_holds_the_shard_until_it_is_back_and_loses_nothing(
    tmp_path, kinesis, stream
):
    # GIVEN a poison record then two good ones, no retries, and an SQS on-failure queue
    sqs = boto3.client("sqs")
    dlq = unique("lr-dlq")
    dlq_url = sqs.create_queue(QueueName=dlq)["QueueUrl"]
    dlq_arn = f"arn:aws:sqs:us-east-1:123456789012:{dlq}"
    sequences = put(kinesis, stream, "poison-1", "ok-2", "ok-3")
    app_dir = kinesis_project(
        tmp_path,
        stream,
        batch_size=1,
        event_source={
            "MaximumRetryAttempts": 0,
            "DestinationConfig": {"OnFailure": {"Destination": dlq_arn}},
        },
    )
    runtime = LocalRuntime.from_project(app_dir, **FAST)

    def delete_queue_after_the_poison_failed(invocation) -> None:
        if not invocation.ok:
            sqs.delete_queue(QueueUrl=dlq_url)

    runtime.on_invocation(delete_queue_after_the_poison_failed)
    with runtime:
        # WHEN the destination is gone as the poison record is given up
        runtime.wait_for(lambda: "stuck" in status_line(runtime), timeout=30)
        stuck_line = status_line(runtime)
        handled_while_stuck = kinesis_batches(runtime.invocations)
        # AND it comes back
        sqs.create_queue(QueueName=dlq)
        runtime.wait_until_idle(30)
        final_line = status_line(runtime)
    # THEN the shard said why it was stuck and went no further meanwhile
    assert stuck_line.startswith(f"consume kinesis:{stream}/{SHARD} IteratorAge="), stuck_line
    assert stuck_line.endswith(
        f" checkpoint=- stuck: on-failure record to {dlq_arn} failed "
        "(QueueDoesNotExist: The specified queue does not exist.)"
    ), stuck_line
    assert handled_while_stuck == [["poison-1"]]
    # AND once the queue was back the failure record reached it and the shard went on
    assert kinesis_batches(runtime.invocations) == [["poison-1"], ["ok-2"], ["ok-3"]]
    assert final_line.endswith(f" checkpoint={sequences[-1]} reading"), final_line
    (record,) = drain_queue(sqs, dlq_url)
    info = record["KinesisBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == (
        sequences[0],
        sequences[0],
        1,
    )
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"


def test_an_unwritable_checkpoint_holds_the_shard_until_the_table_is_back(
    tmp_path, kinesis, stream
):
    # GIVEN a runtime with a lease table of its own and three records, one per batch
    dynamodb = boto3.client("dynamodb")
    table = unique("lr-leases")
    sequences = put(kinesis, stream, "a", "b", "c")
    runtime = LocalRuntime.from_project(
        kinesis_project(tmp_path, stream, batch_size=1), checkpoint_table=table, **FAST
    )

    def drop_the_table_after_the_first_batch(invocation) -> None:
        if len(runtime.invocations) == 1:
            dynamodb.delete_table(TableName=table)

    runtime.on_invocation(drop_the_table_after_the_first_batch)
    with runtime:
        # WHEN the first checkpoint cannot be written
        runtime.wait_for(lambda: "stuck" in status_line(runtime), timeout=30)
        stuck_line = status_line(runtime)
        handled_while_stuck = kinesis_batches(runtime.invocations)
        # AND the table comes back
        CheckpointStore(dynamodb, table).ensure_table()
        runtime.wait_until_idle(30)
    # THEN the shard said so, waited, and then wrote every checkpoint up to the last
    assert " stuck: checkpoint write failed (ResourceNotFoundException: " in stuck_line
    assert handled_while_stuck == [["a"]]
    assert kinesis_batches(runtime.invocations) == [["a"], ["b"], ["c"]]
    stored = CheckpointStore(dynamodb, table).load(lease_key(stream))
    assert stored == {SHARD: Checkpoint(sequence_number=sequences[-1])}


def test_checkpoint_writes_never_move_backwards(emulator_endpoint):
    # GIVEN a lease table and sequence numbers of different lengths (56, 57 digits)
    store = CheckpointStore(boto3.client("dynamodb"), unique("lr-leases"))
    store.ensure_table()
    numbers = [str(10**55 + i) for i in range(0, 40, 2)] + [str(10**56 + i) for i in range(20)]
    shuffled = random.Random(7).sample(numbers, len(numbers))
    # WHEN eight threads write them in a shuffled order, each its share
    written: list[bool] = []
    lock = threading.Lock()

    def write(share: list[str]) -> None:
        for number in share:
            done = store.save("m", SHARD, Checkpoint(sequence_number=number))
            with lock:
                written.append(done)

    threads = [threading.Thread(target=write, args=(shuffled[i::8],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # THEN the stored checkpoint is the highest number, and an older one is refused
    highest = str(10**56 + 19)
    assert store.load("m") == {SHARD: Checkpoint(sequence_number=highest)}
    assert store.save("m", SHARD, Checkpoint(sequence_number=str(10**55))) is False
    assert store.save("m", SHARD, Checkpoint(sequence_number=highest)) is True
    assert store.load("m") == {SHARD: Checkpoint(sequence_number=highest)}
    assert len(written) == len(numbers)


def lease_key(stream: str) -> str:
    return f"arn:aws:lambda:us-east-1:123456789012:function:conformance-local-consume|{stream}"
