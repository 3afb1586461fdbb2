"""StartingPosition LATEST / TRIM_HORIZON / AT_TIMESTAMP, and Enabled (disable, resume)."""

from __future__ import annotations

import json

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


def test_trim_horizon_starts_at_the_oldest_record(tmp_path, kinesis, new_stream):
    stream = new_stream()
    put_records(kinesis, stream, ["a", "b"])
    runtime = LocalRuntime.from_project(kinesis_project(tmp_path, stream), **FAST)
    with runtime:
        put_records(kinesis, stream, ["c"])
        runtime.wait_until_idle(30)
    assert [d for batch in kinesis_batches(runtime.invocations) for d in batch] == ["a", "b", "c"]


def test_latest_starts_after_the_newest_record(tmp_path, kinesis, new_stream):
    stream = new_stream()
    put_records(kinesis, stream, ["a", "b"])
    runtime = LocalRuntime.from_project(kinesis_project(tmp_path, stream, start="LATEST"), **FAST)
    with runtime:
        put_records(kinesis, stream, ["c"])
        runtime.wait_until_idle(30)
    assert kinesis_batches(runtime.invocations) == [["c"]]


def test_at_timestamp_starts_at_the_first_record_written_at_or_after_it(
    tmp_path, kinesis, new_stream
):
    # GIVEN four records, and the arrival time of the third as StartingPositionTimestamp
    stream = new_stream()
    sequences = put_records(kinesis, stream, ["a", "b", "c", "d"])
    third = stream_arrivals(kinesis, stream)[sequences[2]]
    if stream_arrivals(kinesis, stream)[sequences[1]] == third:
        pytest.skip("emulator gave two records the same millisecond")
    app_dir = kinesis_project(
        tmp_path,
        stream,
        start="AT_TIMESTAMP",
        event_source={"StartingPositionTimestamp": third},
    )
    runtime = LocalRuntime.from_project(app_dir, **FAST)
    with runtime:
        runtime.wait_until_idle(30)
    assert kinesis_batches(runtime.invocations) == [["c", "d"]]


def test_a_disabled_mapping_keeps_its_checkpoint_and_resumes_from_it(tmp_path, kinesis, new_stream):
    # GIVEN a LATEST mapping that handled one record
    stream = new_stream()
    app_dir = kinesis_project(tmp_path, stream, start="LATEST")
    first = LocalRuntime.from_project(app_dir, **FAST)
    with first:
        put_records(kinesis, stream, ["one"])
        first.wait_until_idle(30)
    # WHEN it is disabled while two records arrive
    config_path = app_dir / ".chalice" / "config.json"
    config = json.loads(config_path.read_text())
    functions = config["stages"]["local"]["lambda_functions"]
    functions["consume"] = {"event_source": {"Enabled": False}}
    config_path.write_text(json.dumps(config))
    disabled = LocalRuntime.from_project(app_dir, **FAST)
    with disabled:
        put_records(kinesis, stream, ["two", "three"])
        disabled.wait_until_idle(30)
    # AND enabled again
    functions["consume"] = {"event_source": {"Enabled": True}}
    config_path.write_text(json.dumps(config))
    enabled = LocalRuntime.from_project(app_dir, **FAST)
    with enabled:
        enabled.wait_until_idle(30)
    # THEN nothing ran while disabled, and it resumed from its checkpoint
    assert kinesis_batches(first.invocations) == [["one"]]
    assert disabled.invocations == []
    assert disabled.descriptions == [f"consume<-kinesis {stream} (disabled)"]
    assert kinesis_batches(enabled.invocations) == [["two", "three"]]
