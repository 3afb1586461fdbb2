"""KPL aggregates reach the function as Lambda hands them over: one Kinesis record each,
never de-aggregated (Kinesis developer guide, "consumer de-aggregation": the consumer's
work, which the dispatcher does itself)."""

from __future__ import annotations

import base64

import pytest
from aws_kinesis_agg.aggregator import RecordAggregator

from local_runtime import LocalRuntime
from tests.aws_samples import KINESIS_SAMPLE, shape
from tests.conformance.projects import kinesis_project

pytestmark = pytest.mark.emulator

FAST = {"stream_retry_delays": (0.01, 0.05), "poll_interval": 0.05}


def test_an_aggregate_is_delivered_as_the_one_kinesis_record_it_is(tmp_path, kinesis, new_stream):
    # GIVEN an aggregate of three user records (aws-kinesis-agg, as producers make them)
    # put in one PutRecords call before a plain record
    aggregator = RecordAggregator()
    for key, data in (("alice", b'{"n": 0}'), ("bob", b'{"n": 1}'), ("alice", b'{"n": 2}')):
        assert aggregator.add_user_record(key, data) is None
    partition_key, _, blob = aggregator.clear_and_get().get_contents()
    stream = new_stream()
    put = kinesis.put_records(
        StreamName=stream,
        Records=[
            {"Data": blob, "PartitionKey": partition_key},
            {"Data": b"plain", "PartitionKey": "carol"},
        ],
    )["Records"]
    # WHEN the runtime runs a function on the stream
    runtime = LocalRuntime.from_project(kinesis_project(tmp_path, stream), **FAST)
    with runtime:
        runtime.wait_until_idle(30)
    # THEN one invocation of two records: the aggregate's bytes, base64, untouched, under
    # its own partition key and its real sequence number, in Lambda's record shape
    [invocation] = runtime.invocations
    aggregate, plain = invocation.event["Records"]
    assert shape({"Records": [aggregate]}) == shape(KINESIS_SAMPLE)
    assert aggregate["kinesis"]["data"] == base64.b64encode(blob).decode()
    assert (aggregate["kinesis"]["partitionKey"], aggregate["kinesis"]["sequenceNumber"]) == (
        "alice",
        put[0]["SequenceNumber"],
    )
    assert aggregate["eventID"] == f"{put[0]['ShardId']}:{put[0]['SequenceNumber']}"
    assert (plain["kinesis"]["data"], plain["kinesis"]["sequenceNumber"]) == (
        base64.b64encode(b"plain").decode(),
        put[1]["SequenceNumber"],
    )
