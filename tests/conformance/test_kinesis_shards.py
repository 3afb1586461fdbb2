"""Shards: isolation, checkpoints across restarts, resharding, IteratorAge."""

from __future__ import annotations

import logging

import boto3
import pytest

from local_runtime import LocalRuntime
from tests.conformance.projects import (
    kinesis_batches,
    kinesis_project,
    put_records,
    stream_arrivals,
)

pytestmark = pytest.mark.emulator

FAST = {"stream_retry_delays": (0.01, 0.05), "poll_interval": 0.05}
UPPER_HALF = str(2**127 + 1)  # a hash key in the second of two shards


def put_to(kinesis, stream, hash_key: str, items: list[str]) -> list[tuple[str, str]]:
    """Write items with an explicit hash key; their (shard, sequence number)."""
    found = []
    for item in items:
        result = kinesis.put_record(
            StreamName=stream, Data=item.encode(), PartitionKey="pk", ExplicitHashKey=hash_key
        )
        found.append((result["ShardId"], result["SequenceNumber"]))
    return found


def test_a_failing_batch_holds_back_only_its_own_shard(tmp_path, kinesis, new_stream):
    # GIVEN two shards: a poison record (retried forever) in one, good records in the other
    stream = new_stream(shards=2)
    ((poisoned, _),) = put_to(kinesis, stream, "0", ["poison"])
    ((healthy, _), _) = put_to(kinesis, stream, UPPER_HALF, ["ok-1", "ok-2"])
    runtime = LocalRuntime.from_project(kinesis_project(tmp_path, stream), **FAST)
    with runtime:
        # WHEN the healthy shard has been handled and the other has failed twice
        runtime.wait_for(lambda: any(i.ok for i in runtime.invocations), timeout=30)
        runtime.wait_for(lambda: len([i for i in runtime.invocations if not i.ok]) >= 2)
    # THEN the healthy shard went on while the poisoned one kept retrying its record
    by_shard = {
        shard: [i for i in runtime.invocations if i.source.endswith(shard)]
        for shard in (poisoned, healthy)
    }
    assert kinesis_batches(by_shard[healthy]) == [["ok-1", "ok-2"]]
    assert {tuple(b) for b in kinesis_batches(by_shard[poisoned])} == {("poison",)}


def test_a_restarted_runtime_resumes_after_its_checkpoint(tmp_path, kinesis, new_stream):
    stream = new_stream()
    put_records(kinesis, stream, ["a", "b"])
    app_dir = kinesis_project(tmp_path, stream)
    first = LocalRuntime.from_project(app_dir, **FAST)
    with first:
        first.wait_until_idle(30)
    put_records(kinesis, stream, ["c"])
    second = LocalRuntime.from_project(app_dir, **FAST)
    with second:
        second.wait_until_idle(30)
    assert kinesis_batches(first.invocations) == [["a", "b"]]
    assert kinesis_batches(second.invocations) == [["c"]]


def test_after_a_split_the_parent_is_drained_before_its_children(
    tmp_path, kinesis, new_stream, caplog
):
    """moto 5.2 keeps routing writes to a closed parent shard, so the children stay empty
    here; what is pinned is the order: the parent is drained and marked SHARD_END in the
    lease table, and only then are its children read."""
    # GIVEN records in a shard that is then split in two
    stream = new_stream()
    put_records(kinesis, stream, ["p1", "p2"])
    parent = kinesis.list_shards(StreamName=stream)["Shards"][0]["ShardId"]
    kinesis.split_shard(StreamName=stream, ShardToSplit=parent, NewStartingHashKey=str(2**127))
    shards = kinesis.list_shards(StreamName=stream)["Shards"]
    children = sorted(s["ShardId"] for s in shards if s.get("ParentShardId") == parent)
    assert len(children) == 2
    runtime = LocalRuntime.from_project(kinesis_project(tmp_path, stream), **FAST)
    # WHEN the runtime starts from the oldest records
    with caplog.at_level(logging.INFO, logger="local_runtime"), runtime:
        runtime.wait_for(lambda: len(runtime.iterator_ages()) == 3, timeout=30)
        runtime.wait_until_idle(30)
    # THEN the parent was read and drained first; only then were both children opened
    events = [
        r.getMessage().split(": ", 1)
        for r in caplog.records
        if "reads from" in r.getMessage() or "SHARD_END" in r.getMessage()
    ]
    prefix = f"kinesis:{stream}/"
    assert [(source.removeprefix(prefix), what) for source, what in events] == [
        (parent, "consume reads from TRIM_HORIZON "),
        (parent, "shard drained (SHARD_END)"),
        (children[0], "consume reads from TRIM_HORIZON "),
        (children[1], "consume reads from TRIM_HORIZON "),
    ]
    assert kinesis_batches(runtime.invocations) == [["p1", "p2"]]
    items = boto3.client("dynamodb").scan(TableName="local-runtime-checkpoints")["Items"]
    ends = {
        i["shard_id"]["S"]: i["shard_end"]["BOOL"]
        for i in items
        if i["mapping"]["S"].endswith(f"|{stream}")
    }
    assert ends == {parent: True}


def test_iterator_age_is_a_metric_and_a_status_line(tmp_path, kinesis, new_stream, caplog):
    """IteratorAge, as the metric is described: "Age is the difference between the time
    Lambda received the batch, and the time the last record in the batch was written to
    the stream." Here the time a batch is handed over."""
    # GIVEN a record, status every 0.1 s, and a clock that reads 42.5 s after its arrival
    stream = new_stream()
    (sequence,) = put_records(kinesis, stream, ["a"])
    arrival = stream_arrivals(kinesis, stream)[sequence]
    runtime = LocalRuntime.from_project(
        kinesis_project(tmp_path, stream),
        status_interval=0.1,
        clock=lambda: arrival + 42.5,
        **FAST,
    )
    cloudwatch = boto3.client("cloudwatch")
    dimensions = [{"Name": "FunctionName", "Value": "conformance-local-consume"}]

    def published() -> list:
        return cloudwatch.list_metrics(
            Namespace="AWS/Lambda", MetricName="IteratorAge", Dimensions=dimensions
        )["Metrics"]

    with caplog.at_level(logging.INFO, logger="local_runtime"), runtime:
        runtime.wait_until_idle(30)
        ages = runtime.iterator_ages()
        # THEN IteratorAge reaches CloudWatch under AWS/Lambda, per function
        assert runtime.wait_for(published, timeout=30)[0]["Dimensions"] == dimensions
        runtime.wait_for(lambda: any(r.getMessage().startswith("status: ") for r in caplog.records))
    # AND it is the record's age when handed over, per function and shard
    shard = "shardId-000000000000"
    assert ages == {("consume", shard): pytest.approx(42_500, abs=0.01)}
    # AND a status line names function, shard, IteratorAge and checkpoint
    line = next(r.getMessage() for r in caplog.records if r.getMessage().startswith("status: "))
    assert line == (
        f"status: consume kinesis:{stream}/{shard} IteratorAge=42500ms "
        f"checkpoint={sequence} reading"
    )


def test_a_split_while_running_is_followed(tmp_path, kinesis, new_stream):
    # GIVEN a running mapping that has handled a record
    stream = new_stream()
    runtime = LocalRuntime.from_project(kinesis_project(tmp_path, stream, start="LATEST"), **FAST)
    with runtime:
        put_records(kinesis, stream, ["before"])
        runtime.wait_until_idle(30)
        parent = kinesis.list_shards(StreamName=stream)["Shards"][0]["ShardId"]
        # WHEN the shard is split
        kinesis.split_shard(StreamName=stream, ShardToSplit=parent, NewStartingHashKey=str(2**127))
        children = sorted(
            s["ShardId"]
            for s in kinesis.list_shards(StreamName=stream)["Shards"]
            if s.get("ParentShardId") == parent
        )
        # THEN the runtime finds the children and reads them once the parent is drained
        runtime.wait_for(lambda: len(runtime.iterator_ages()) == 3, timeout=30)
        runtime.wait_until_idle(30)
        shards = sorted(shard for _, shard in runtime.iterator_ages())
    assert shards == sorted([parent, *children])
    assert kinesis_batches(runtime.invocations) == [["before"]]
    items = boto3.client("dynamodb").scan(TableName="local-runtime-checkpoints")["Items"]
    ends = {
        i["shard_id"]["S"]: i["shard_end"]["BOOL"]
        for i in items
        if i["mapping"]["S"].endswith(f"|{stream}")
    }
    assert ends == {parent: True}  # the children have read nothing yet: no checkpoint
