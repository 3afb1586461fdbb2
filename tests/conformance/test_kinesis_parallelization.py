"""ParallelizationFactor: concurrent batches per shard, order kept per partition key."""

from __future__ import annotations

import base64

import boto3
import pytest

from local_runtime import LocalRuntime
from local_runtime.shard_lanes import lane_of
from tests.conformance.projects import kinesis_project

pytestmark = pytest.mark.emulator

FAST = {"stream_retry_delays": (0.01, 0.05), "poll_interval": 0.05}

# Partition keys chosen so that, with a factor of 2, "a" and "b" share a lane and "c"
# and "d" share the other (checked below, so a change of hashing shows up here first).
KEYS = ["a", "c", "b", "d"]


def put_keyed(kinesis, stream, items: list[tuple[str, str]]) -> list[str]:
    return [
        kinesis.put_record(StreamName=stream, Data=data.encode(), PartitionKey=key)[
            "SequenceNumber"
        ]
        for key, data in items
    ]


def records_of(invocation) -> list[tuple[str, str]]:
    return [
        (r["kinesis"]["partitionKey"], base64.b64decode(r["kinesis"]["data"]).decode())
        for r in invocation.event["Records"]
    ]


def test_order_is_kept_per_partition_key_across_concurrent_batches(tmp_path, kinesis, new_stream):
    """Lambda guide, Kinesis: "If you increase the number of concurrent batches per shard,
    Lambda still ensures in-order processing at the shard level" (per partition key).
    """
    assert [lane_of(k, 2) for k in KEYS] == [0, 1, 0, 1]
    # GIVEN 16 records over four keys, interleaved, and a factor of 2 with batch size 3
    stream = new_stream()
    items = [(KEYS[i % 4], f"{KEYS[i % 4]}{i // 4}") for i in range(16)]
    put_keyed(kinesis, stream, items)
    app_dir = kinesis_project(
        tmp_path, stream, batch_size=3, event_source={"ParallelizationFactor": 2}
    )
    runtime = LocalRuntime.from_project(app_dir, **FAST)
    with runtime:
        runtime.wait_until_idle(30)
    # THEN every batch holds keys of one lane only, in stream order within the lane
    batches = [records_of(i) for i in runtime.invocations]
    lane0 = [r for b in batches if b[0][0] in ("a", "b") for r in b]
    lane1 = [r for b in batches if b[0][0] in ("c", "d") for r in b]
    assert all({lane_of(k, 2) for k, _ in b} in ({0}, {1}) for b in batches)
    assert lane0 == [item for item in items if item[0] in ("a", "b")]
    assert lane1 == [item for item in items if item[0] in ("c", "d")]
    assert sorted(len(b) for b in batches) == [2, 2, 3, 3, 3, 3]


def test_a_failing_key_holds_back_only_its_own_lane_and_the_checkpoint(
    tmp_path, kinesis, new_stream
):
    """Parallelization with checkpoints: concurrent batches finish out of order, so the
    checkpoint ("the last record processed", from which a re-enabled mapping "resumes
    processing") may only pass records that every lane has done.
    """
    # GIVEN a poison record under key "a" (retried forever) and good records under "c"
    stream = new_stream()
    sequences = put_keyed(
        kinesis, stream, [("c", "c0"), ("a", "poison-a"), ("c", "c1"), ("c", "c2")]
    )
    first = kinesis.list_shards(StreamName=stream)["Shards"][0]["ShardId"]
    app_dir = kinesis_project(
        tmp_path, stream, batch_size=10, event_source={"ParallelizationFactor": 2}
    )
    runtime = LocalRuntime.from_project(app_dir, **FAST)
    with runtime:
        # WHEN the other lane has handled its records
        runtime.wait_for(
            lambda: any(
                records_of(i) == [("c", "c0"), ("c", "c1"), ("c", "c2")]
                for i in runtime.invocations
                if i.ok
            ),
            timeout=30,
        )
        runtime.wait_for(lambda: len([i for i in runtime.invocations if not i.ok]) >= 2)
    # THEN the poison lane kept retrying the same record, and the checkpoint did not pass it
    failing = [records_of(i) for i in runtime.invocations if not i.ok]
    assert all(batch == [("a", "poison-a")] for batch in failing)
    items = boto3.client("dynamodb").scan(TableName="local-runtime-checkpoints")["Items"]
    mine = [i for i in items if i["mapping"]["S"].endswith(f"|{stream}")]
    assert [(i["shard_id"]["S"], i["sequence_number"]["S"]) for i in mine] == [
        (first, sequences[0])
    ]
