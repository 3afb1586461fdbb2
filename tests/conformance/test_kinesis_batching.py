"""Kinesis batching: BatchSize, MaximumBatchingWindowInSeconds, the 6 MB payload cut."""

from __future__ import annotations

import pytest

from local_runtime import LocalRuntime
from tests.conformance.projects import kinesis_batches, kinesis_project, put_many, put_records

pytestmark = pytest.mark.emulator

FAST = {"stream_retry_delays": (0.01, 0.05), "poll_interval": 0.05}


def test_batch_size_cuts_batches_in_stream_order(tmp_path, kinesis, new_stream):
    # GIVEN seven records and a batch size of 3
    stream = new_stream()
    put_many(kinesis, stream, [f"r{i}" for i in range(7)])
    runtime = LocalRuntime.from_project(kinesis_project(tmp_path, stream, batch_size=3), **FAST)
    with runtime:
        runtime.wait_until_idle(30)
    # THEN batches of 3, 3 and 1, in order
    assert kinesis_batches(runtime.invocations) == [
        ["r0", "r1", "r2"],
        ["r3", "r4", "r5"],
        ["r6"],
    ]


def test_the_batching_window_waits_for_more_records(tmp_path, kinesis, new_stream):
    # GIVEN a LATEST mapping that may wait 2 s to fill a batch of 100
    stream = new_stream()
    runtime = LocalRuntime.from_project(
        kinesis_project(tmp_path, stream, start="LATEST", window=2), **FAST
    )
    with runtime:
        # WHEN three records arrive in separate calls
        put_records(kinesis, stream, ["one", "two", "three"])
        runtime.wait_until_idle(30)
    # THEN they reach the function together
    assert kinesis_batches(runtime.invocations) == [["one", "two", "three"]]


def test_a_full_batch_does_not_wait_for_the_window(tmp_path, kinesis, new_stream):
    # GIVEN a batch size of 2 and a window far longer than the test may take
    stream = new_stream()
    put_many(kinesis, stream, ["a", "b", "c", "d"])
    runtime = LocalRuntime.from_project(
        kinesis_project(tmp_path, stream, batch_size=2, window=300), **FAST
    )
    with runtime:
        # THEN full batches go at once
        runtime.wait_for(lambda: len(runtime.invocations) == 2, timeout=30)
    assert kinesis_batches(runtime.invocations) == [["a", "b"], ["c", "d"]]


def test_a_batch_is_cut_before_it_passes_six_megabytes(tmp_path, kinesis, new_stream):
    # GIVEN five records of 1,000,000 bytes (about 1.33 MB each once base64-encoded)
    stream = new_stream()
    items = [str(i) * 1_000_000 for i in range(5)]
    put_records(kinesis, stream, items)
    runtime = LocalRuntime.from_project(kinesis_project(tmp_path, stream, batch_size=100), **FAST)
    with runtime:
        runtime.wait_until_idle(60)
    # THEN the first batch holds four (5.3 MB), the fifth goes alone
    sizes = [[len(d) for d in batch] for batch in kinesis_batches(runtime.invocations)]
    firsts = [[d[0] for d in batch] for batch in kinesis_batches(runtime.invocations)]
    assert sizes == [[1_000_000] * 4, [1_000_000]]
    assert firsts == [["0", "1", "2", "3"], ["4"]]
