"""FilterCriteria: records matching no filter are skipped and checkpointed past."""

from __future__ import annotations

import json

import boto3
import pytest

from local_runtime import LocalRuntime
from tests.conformance.projects import kinesis_batches, kinesis_project, put_records

pytestmark = pytest.mark.emulator

FAST = {"stream_retry_delays": (0.01, 0.05), "poll_interval": 0.05}


def checkpoint_of(stream: str) -> list[str]:
    items = boto3.client("dynamodb").scan(TableName="local-runtime-checkpoints")["Items"]
    return [i["sequence_number"]["S"] for i in items if i["mapping"]["S"].endswith(f"|{stream}")]


def test_only_matching_json_records_reach_the_function(tmp_path, kinesis, new_stream):
    # GIVEN a filter on the JSON data's type, and records that match, differ, or are not JSON
    stream = new_stream()
    posted = json.dumps({"type": "yubl-posted", "id": 1})
    other = json.dumps({"type": "yubl-deleted", "id": 2})
    posted_again = json.dumps({"type": "yubl-posted", "id": 3})
    sequences = put_records(kinesis, stream, [posted, other, "not json", posted_again, other])
    pattern = json.dumps({"data": {"type": ["yubl-posted"]}})
    app_dir = kinesis_project(
        tmp_path, stream, event_source={"FilterCriteria": {"Filters": [{"Pattern": pattern}]}}
    )
    runtime = LocalRuntime.from_project(app_dir, **FAST)
    with runtime:
        runtime.wait_until_idle(30)
    # THEN only the matching records were handed over, and the checkpoint passed the rest
    assert kinesis_batches(runtime.invocations) == [[posted, posted_again]]
    assert checkpoint_of(stream) == [sequences[-1]]


def test_a_batch_where_nothing_matches_is_checkpointed_without_an_invocation(
    tmp_path, kinesis, new_stream
):
    stream = new_stream()
    sequences = put_records(kinesis, stream, ["x", "y"])
    pattern = json.dumps({"partitionKey": ["someone-else"]})
    app_dir = kinesis_project(
        tmp_path, stream, event_source={"FilterCriteria": {"Filters": [{"Pattern": pattern}]}}
    )
    runtime = LocalRuntime.from_project(app_dir, **FAST)
    with runtime:
        runtime.wait_until_idle(30)
    assert runtime.invocations == []
    assert checkpoint_of(stream) == [sequences[-1]]


def test_any_of_several_filters_may_match(tmp_path, kinesis, new_stream):
    stream = new_stream()
    items = [json.dumps({"n": n}) for n in (1, 5, 10, 50)]
    put_records(kinesis, stream, items)
    filters = [
        {"Pattern": json.dumps({"data": {"n": [{"numeric": ["<", 2]}]}})},
        {"Pattern": json.dumps({"data": {"n": [{"numeric": [">=", 10, "<", 20]}]}})},
    ]
    app_dir = kinesis_project(
        tmp_path, stream, event_source={"FilterCriteria": {"Filters": filters}}
    )
    runtime = LocalRuntime.from_project(app_dir, **FAST)
    with runtime:
        runtime.wait_until_idle(30)
    assert kinesis_batches(runtime.invocations) == [[items[0], items[2]]]
