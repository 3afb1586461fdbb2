"""FunctionResponseTypes ReportBatchItemFailures on a Kinesis mapping."""

from __future__ import annotations

import pytest

from local_runtime import LocalRuntime
from tests.conformance.projects import kinesis_batches, kinesis_project, put_many, stream_arn

pytestmark = pytest.mark.emulator

FAST = {"stream_retry_delays": (0.01, 0.05), "poll_interval": 0.05}

# Reports failures by what the data says: "fail-once-*" fails the first time it is seen,
# "always-*" every time; "unknown-id" and "empty-id" report a bad identifier once;
# "empty-list" returns an empty list and "null" returns None.
APP = """
import base64
import os
from chalice import Chalice

app = Chalice(app_name="conformance")
SEEN = set()


@app.on_kinesis_record(
    stream=os.environ["STREAM"],
    batch_size=int(os.environ["BATCH_SIZE"]),
    starting_position=os.environ["START"],
    maximum_batching_window_in_seconds=int(os.environ["WINDOW"]),
)
def consume(event):
    failures = []
    for record in event.to_dict()["Records"]:
        data = base64.b64decode(record["kinesis"]["data"]).decode()
        sequence = record["kinesis"]["sequenceNumber"]
        first_time = data not in SEEN
        SEEN.add(data)
        if data == "null":
            return None
        if data == "empty-list":
            return {"batchItemFailures": []}
        if data == "unknown-id" and first_time:
            return {"batchItemFailures": [{"itemIdentifier": "999999999"}]}
        if data == "empty-id" and first_time:
            return {"batchItemFailures": [{"itemIdentifier": ""}]}
        if (data.startswith("fail-once") and first_time) or data.startswith("always"):
            failures.append({"itemIdentifier": sequence})
    return {"batchItemFailures": failures}
"""

RBIF = {"FunctionResponseTypes": ["ReportBatchItemFailures"]}


def run(tmp_path, stream, batch_size, **extra):
    app_dir = kinesis_project(
        tmp_path, stream, batch_size=batch_size, app_source=APP, event_source={**RBIF, **extra}
    )
    runtime = LocalRuntime.from_project(app_dir, "local", **FAST)
    with runtime:
        runtime.wait_until_idle(30)
    return runtime


def test_the_lowest_reported_record_becomes_the_checkpoint_and_is_retried_onward(
    tmp_path, kinesis, new_stream
):
    # GIVEN a batch where the third and fifth records are reported failed once
    stream = new_stream()
    put_many(kinesis, stream, ["a", "b", "fail-once-c", "d", "fail-once-e"])
    runtime = run(tmp_path, stream, batch_size=10)
    # THEN the retry starts at the lowest reported record and keeps order
    assert kinesis_batches(runtime.invocations) == [
        ["a", "b", "fail-once-c", "d", "fail-once-e"],
        ["fail-once-c", "d", "fail-once-e"],
    ]


@pytest.mark.parametrize("item", ["empty-list", "null"])
def test_an_empty_list_or_null_means_success(tmp_path, kinesis, new_stream, item):
    stream = new_stream()
    put_many(kinesis, stream, [item, "after"])
    runtime = run(tmp_path, stream, batch_size=1)
    assert kinesis_batches(runtime.invocations) == [[item], ["after"]]


@pytest.mark.parametrize("item", ["unknown-id", "empty-id"])
def test_an_unknown_or_empty_identifier_fails_the_whole_batch(tmp_path, kinesis, new_stream, item):
    stream = new_stream()
    put_many(kinesis, stream, ["first", item, "last"])
    runtime = run(tmp_path, stream, batch_size=10)
    assert kinesis_batches(runtime.invocations) == [
        ["first", item, "last"],
        ["first", item, "last"],
    ]


def test_a_record_reported_failed_every_time_goes_to_the_destination_with_the_rest(
    tmp_path, kinesis, new_stream, new_queue, drain
):
    # GIVEN one retry and a destination; the second record is always reported failed
    stream = new_stream()
    sequences = put_many(kinesis, stream, ["a", "always-b", "c", "d"])
    _, dlq_url, dlq_arn = new_queue()
    runtime = run(
        tmp_path,
        stream,
        batch_size=3,
        MaximumRetryAttempts=1,
        DestinationConfig={"OnFailure": {"Destination": dlq_arn}},
    )
    # THEN the first record is checkpointed, the rest retried once, then given up
    assert kinesis_batches(runtime.invocations) == [
        ["a", "always-b", "c"],
        ["always-b", "c"],
        ["d"],
    ]
    (record,) = drain(dlq_url)
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 2
    assert record["requestContext"]["requestId"] == runtime.invocations[1].request_id
    # the function returned normally: no functionError
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}
    info = record["KinesisBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == (
        sequences[1],
        sequences[2],
        2,
    )
    assert info["streamArn"] == stream_arn(kinesis, stream)


def test_with_bisect_a_partial_response_is_split_at_the_reported_record_not_halved(
    tmp_path, kinesis, new_stream
):
    """Lambda guide, "Bisecting a batch": "When a partial batch success response is
    received and both BisectBatchOnFunctionError and ReportBatchItemFailures are turned
    on, the batch is bisected at the returned sequence number and Lambda retries only the
    remaining records."
    """
    # GIVEN bisect on, and a batch whose third and fifth records are reported failed once
    stream = new_stream()
    put_many(kinesis, stream, ["a", "b", "fail-once-c", "d", "fail-once-e"])
    runtime = run(tmp_path, stream, batch_size=10, BisectBatchOnFunctionError=True)
    # THEN the retry is every record from the lowest reported one, in one batch
    assert kinesis_batches(runtime.invocations) == [
        ["a", "b", "fail-once-c", "d", "fail-once-e"],
        ["fail-once-c", "d", "fail-once-e"],
    ]


def test_with_bisect_a_function_error_still_halves_the_batch(tmp_path, kinesis, new_stream):
    """Lambda guide, "Bisecting a batch": "If your invocation fails and
    BisectBatchOnFunctionError is turned on, the batch is bisected regardless of your
    ReportBatchItemFailures setting."
    """
    # GIVEN bisect on, and a record whose identifier is unknown once (a whole-batch failure)
    stream = new_stream()
    put_many(kinesis, stream, ["a", "unknown-id", "c", "d"])
    runtime = run(tmp_path, stream, batch_size=10, BisectBatchOnFunctionError=True)
    # THEN the failed batch is halved, each half invoked in order
    assert kinesis_batches(runtime.invocations) == [
        ["a", "unknown-id", "c", "d"],
        ["a", "unknown-id"],
        ["c", "d"],
    ]
