"""TumblingWindowInSeconds: state carried between invocations, a final invoke per window."""

from __future__ import annotations

import base64
import time

import pytest

from local_runtime import LocalRuntime
from tests.conformance.projects import (
    iso_utc,
    kinesis_batches,
    kinesis_project,
    put_records,
    stream_arn,
    stream_arrivals,
)

pytestmark = pytest.mark.emulator

FAST = {"stream_retry_delays": (0.01, 0.05), "poll_interval": 0.05}

# Counts records in the window's state; Lambda hands the state back on the next call.
APP = """
import os
from chalice import Chalice

app = Chalice(app_name="conformance")


@app.on_kinesis_record(
    stream=os.environ["STREAM"],
    batch_size=int(os.environ["BATCH_SIZE"]),
    starting_position=os.environ["START"],
    maximum_batching_window_in_seconds=int(os.environ["WINDOW"]),
)
def consume(event):
    raw = event.to_dict()
    state = dict(raw.get("state") or {})
    state["count"] = state.get("count", 0) + len(raw["Records"])
    return {"state": state}
"""

WIDTH = 900  # the longest window: three records written now share one, whatever the time


def in_one_window(kinesis, stream: str, items: list[str]) -> tuple[list[str], int]:
    """Write ``items``; their sequence numbers and the start of the window they share."""
    sequences = put_records(kinesis, stream, items)
    arrivals = stream_arrivals(kinesis, stream)
    start = int(arrivals[sequences[0]] // WIDTH) * WIDTH
    if int(arrivals[sequences[-1]] // WIDTH) * WIDTH != start:
        pytest.skip("the records straddle a window boundary")
    return sequences, start


def test_state_flows_through_the_window_and_a_final_invoke_closes_it(tmp_path, kinesis, new_stream):
    # GIVEN three records and a 900 s tumbling window, batch size 2
    stream = new_stream()
    _sequences, start = in_one_window(kinesis, stream, ["a", "b", "c"])
    app_dir = kinesis_project(
        tmp_path,
        stream,
        batch_size=2,
        app_source=APP,
        event_source={"TumblingWindowInSeconds": WIDTH},
    )
    offset = [0.0]
    runtime = LocalRuntime.from_project(app_dir, clock=lambda: time.time() + offset[0], **FAST)
    with runtime:
        runtime.wait_for(lambda: len(runtime.invocations) == 2, timeout=30)
        # WHEN the window's end passes
        offset[0] = WIDTH
        runtime.wait_for(lambda: len(runtime.invocations) == 3, timeout=30)
    # THEN two invocations carried the state forward and a third, empty, was flagged final
    assert kinesis_batches(runtime.invocations) == [["a", "b"], ["c"], []]
    window = {"start": iso_utc(start), "end": iso_utc(start + WIDTH)}
    common = {
        "window": window,
        "shardId": "shardId-000000000000",
        "eventSourceARN": stream_arn(kinesis, stream),
        "isWindowTerminatedEarly": False,
    }
    shapes = [{k: v for k, v in i.event.items() if k != "Records"} for i in runtime.invocations]
    assert shapes == [
        {**common, "state": {}, "isFinalInvokeForWindow": False},
        {**common, "state": {"count": 2}, "isFinalInvokeForWindow": False},
        {**common, "state": {"count": 3}, "isFinalInvokeForWindow": True},
    ]


def test_a_batch_never_spans_two_windows_and_each_window_starts_with_empty_state(
    tmp_path, kinesis, new_stream
):
    # GIVEN 1 s windows and records written on both sides of a window boundary
    stream = new_stream()
    first = put_records(kinesis, stream, ["a", "b"])
    arrivals = stream_arrivals(kinesis, stream)
    boundary = int(arrivals[first[-1]]) + 1
    while time.time() < boundary + 0.05:  # wait for the next second (a condition, not a pause)
        time.sleep(0.01)
    second = put_records(kinesis, stream, ["c"])
    arrivals = stream_arrivals(kinesis, stream)
    windows = [int(arrivals[s]) for s in first + second]
    assert windows[1] < windows[2]  # at least two windows, whatever the timing
    app_dir = kinesis_project(
        tmp_path,
        stream,
        batch_size=100,
        app_source=APP,
        event_source={"TumblingWindowInSeconds": 1},
    )
    runtime = LocalRuntime.from_project(app_dir, **FAST)
    # WHEN the runtime reads them all at once, after both windows have ended
    with runtime:
        runtime.wait_for(lambda: len(runtime.invocations) == 2 * len(set(windows)), timeout=30)
    # THEN each window has its own batch and its own final invoke; state does not leak
    observed = [
        (
            [base64.b64decode(r["kinesis"]["data"]).decode() for r in i.event["Records"]],
            i.event["window"]["start"],
            i.event["state"],
            i.event["isFinalInvokeForWindow"],
        )
        for i in runtime.invocations
    ]
    expected = []
    for start in sorted(set(windows)):
        items = [item for item, w in zip(["a", "b", "c"], windows, strict=True) if w == start]
        expected.append((items, iso_utc(start), {}, False))
        expected.append(([], iso_utc(start), {"count": len(items)}, True))
    assert observed == expected


# Answers its first batch without a state (a valid partial-batch response, but no state).
STATELESS_ONCE_APP = APP.replace("app = Chalice", "FIRST = [True]\napp = Chalice").replace(
    "    raw = event.to_dict()\n",
    "    raw = event.to_dict()\n"
    "    if raw['Records'] and FIRST[0]:\n"
    "        FIRST[0] = False\n"
    "        return {'batchItemFailures': []}\n",
)


def test_a_response_without_state_is_a_failed_invocation(tmp_path, kinesis, new_stream):
    """Lambda guide, "Time windows": "when using tumbling windows, your Lambda function
    response must contain a state property. If the response does not contain a state
    property, Lambda considers this a failed invocation."
    """
    # GIVEN a 900 s window and a function that answers its first batch without a state
    stream = new_stream()
    _sequences, _start = in_one_window(kinesis, stream, ["a", "b"])
    app_dir = kinesis_project(
        tmp_path,
        stream,
        batch_size=10,
        app_source=STATELESS_ONCE_APP,
        event_source={"TumblingWindowInSeconds": WIDTH},
    )
    runtime = LocalRuntime.from_project(app_dir, **FAST)
    with runtime:
        # WHEN the batch has been handled
        runtime.wait_for(lambda: len(runtime.invocations) == 2, timeout=30)
        runtime.wait_until_idle(30)
    # THEN the stateless answer counted as a failure: the batch was invoked again with
    # the state it had before, and only the second answer's state was kept
    assert kinesis_batches(runtime.invocations) == [["a", "b"], ["a", "b"]]
    assert [i.event["state"] for i in runtime.invocations] == [{}, {}]
    assert [i.response for i in runtime.invocations] == [
        {"batchItemFailures": []},
        {"state": {"count": 2}},
    ]


# Counts records like APP, and fails on a record whose data starts with "poison".
POISONABLE_APP = APP.replace(
    "    raw = event.to_dict()\n",
    "    raw = event.to_dict()\n"
    "    for record in event:\n"
    "        if record.data.startswith(b'poison'):\n"
    "            raise ValueError('poison')\n",
)


def test_retry_limits_hold_inside_a_window_and_a_given_up_batch_leaves_the_state(
    tmp_path, kinesis, new_stream, new_queue, drain
):
    """Lambda guide, "Time windows": "Tumbling windows fully support the existing retry
    policies maxRetryAttempts and maxRecordAge."
    """
    # GIVEN a 900 s window, one retry, a destination, and a poison record between two
    stream = new_stream()
    sequences, _start = in_one_window(kinesis, stream, ["a", "poison", "b"])
    _, dlq_url, dlq_arn = new_queue()
    app_dir = kinesis_project(
        tmp_path,
        stream,
        batch_size=1,
        app_source=POISONABLE_APP,
        event_source={
            "TumblingWindowInSeconds": WIDTH,
            "MaximumRetryAttempts": 1,
            "DestinationConfig": {"OnFailure": {"Destination": dlq_arn}},
        },
    )
    offset = [0.0]
    runtime = LocalRuntime.from_project(app_dir, clock=lambda: time.time() + offset[0], **FAST)
    with runtime:
        runtime.wait_for(lambda: len(runtime.invocations) == 4, timeout=30)
        # WHEN the window's end passes
        offset[0] = WIDTH
        runtime.wait_for(lambda: len(runtime.invocations) == 5, timeout=30)
    # THEN the poison batch was retried once, given up, and the window went on without it
    observed = [
        (batch, i.ok, i.event["state"], i.event["isFinalInvokeForWindow"])
        for batch, i in zip(kinesis_batches(runtime.invocations), runtime.invocations, strict=True)
    ]
    assert observed == [
        (["a"], True, {}, False),
        (["poison"], False, {"count": 1}, False),
        (["poison"], False, {"count": 1}, False),
        (["b"], True, {"count": 1}, False),
        ([], True, {"count": 2}, True),
    ]
    (record,) = drain(dlq_url)
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 2
    assert record["KinesisBatchInfo"]["startSequenceNumber"] == sequences[1]
