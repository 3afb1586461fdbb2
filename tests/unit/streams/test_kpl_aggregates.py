"""KPL aggregates through the one processor: each user record on its own.

The aggregates are made with ``aws-kinesis-agg``'s ``RecordAggregator`` (what producers
use), independently of our reader (``chalicelib/streams/kpl.py``)."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from aws_kinesis_agg.aggregator import RecordAggregator

from chalicelib.adapters.memory import InMemoryFailureSink
from chalicelib.streams.kpl import MAGIC, CorruptAggregate, user_records
from chalicelib.streams.policies import halt, report_item_failures, retry_then_park
from chalicelib.streams.processor import StreamProcessor
from chalicelib.streams.retry import rerun_parked
from tests.aws_samples import kinesis_event, kinesis_record

from .test_policies import FIRST_SEQUENCE, T0, Handler

SEQUENCE = str(FIRST_SEQUENCE)


def _aggregate(payloads: list[dict | bytes], keys: list[str] | None = None) -> bytes:
    aggregator = RecordAggregator()
    for i, payload in enumerate(payloads):
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        assert aggregator.add_user_record((keys or [f"k{i}"] * len(payloads))[i], data) is None
    return aggregator.clear_and_get().get_contents()[2]


def _processor(name, handler, policy, sink):
    return StreamProcessor(
        name, handler, policy, sink=lambda: sink, sleep=lambda s: None, clock=lambda: T0
    )


def test_the_reader_gives_the_user_records_of_a_library_made_aggregate_in_order():
    blob = _aggregate([{"n": 0}, {"n": 1}, b"\xff not json"], keys=["alice", "bob", "alice"])
    records = user_records(blob)
    assert [(r.sub_sequence_number, r.partition_key, r.data, r.problem) for r in records] == [
        (0, "alice", b'{"n": 0}', None),
        (1, "bob", b'{"n": 1}', None),
        (2, "alice", b"\xff not json", None),
    ]


@pytest.mark.parametrize(
    ("mangle", "reason"),
    [
        (lambda b: b[:-1] + bytes([b[-1] ^ 1]), "KPL aggregate's MD5 digest does not match"),
        (lambda b: b[:10], "KPL aggregate of 10 bytes is too short"),
    ],
)
def test_a_corrupt_aggregate_is_refused_with_its_reason(mangle, reason):
    with pytest.raises(CorruptAggregate, match=reason):
        user_records(mangle(_aggregate([{"n": 0}, {"n": 1}])))


def test_a_user_record_naming_a_missing_key_is_refused_alone():
    # GIVEN an aggregate whose second user record names partition key 5 of a table of 1
    body = b"\x0a\x01k" + b"\x1a\x05\x08\x00\x1a\x01a" + b"\x1a\x05\x08\x05\x1a\x01b"
    blob = MAGIC + body + hashlib.md5(body).digest()
    first, second = user_records(blob)
    assert (first.partition_key, first.data, first.problem) == ("k", b"a", None)
    assert second.problem == "user record 1 names partition key 5 of a table of 1"


def test_a_poison_user_record_is_dead_lettered_alone_with_its_numbers_and_its_siblings_run():
    # GIVEN an aggregate of three user records, the middle one not JSON
    blob = _aggregate([{"n": 0}, b"not json", {"n": 2}], keys=["a", "b", "c"])
    sink, handler = InMemoryFailureSink(), Handler()
    processor = _processor("kpl_poison", handler, retry_then_park(attempts=3), sink)
    # WHEN the processor gets the one Kinesis record
    response = processor.process(kinesis_event(kinesis_record(blob, SEQUENCE)))
    # THEN the siblings ran, the poison one is dead-lettered alone, nothing failed the batch
    assert response == {"batchItemFailures": []}
    assert handler.calls == [0, 2]
    [(failed, _)] = sink.dead_letters
    assert sink.parked == []
    assert failed["error"] == {
        "type": "NotJson",
        "message": "data: record data is not JSON (Expecting value: line 1 column 1 (char 0))",
    }
    assert failed["text"] == "not json"
    assert {k: failed["origin"][k] for k in ("sequenceNumber", "subSequenceNumber")} == {
        "sequenceNumber": SEQUENCE,
        "subSequenceNumber": 1,
    }
    assert failed["origin"]["partitionKey"] == "b"
    assert base64.b64decode(failed["origin"]["data"]) == b"not json"


def test_a_parked_user_record_carries_its_own_data_through_retry_parked():
    # GIVEN user record 1 of 3 failing every in-process attempt
    blob = _aggregate([{"n": 0}, {"n": 1}, {"n": 2}])
    sink, handler = InMemoryFailureSink(), Handler(transient={1: 3})
    processor = _processor("kpl_parked", handler, retry_then_park(attempts=3), sink)
    processor.process(kinesis_event(kinesis_record(blob, SEQUENCE)))
    [(parked, _)] = sink.parked
    assert (parked["payload"], parked["origin"]["subSequenceNumber"]) == ({"n": 1}, 1)
    # WHEN the retry worker re-runs the parked message (as SQS hands it over)
    rerun_parked(json.loads(json.dumps(parked)))
    # THEN its own payload ran once more, and only it
    assert handler.calls == [0, 1, 1, 1, 2, 1]


@pytest.mark.parametrize("policy", [halt(), report_item_failures()], ids=["halt", "report"])
def test_under_lambdas_retry_a_failed_user_record_fails_its_whole_aggregate(policy):
    # GIVEN two Kinesis records, the first an aggregate whose second user record fails
    blob = _aggregate([{"n": 0}, {"n": 1}, {"n": 2}])
    plain = kinesis_record(json.dumps({"n": 3}).encode(), str(FIRST_SEQUENCE + 1))
    handler = Handler(always={1})
    processor = _processor("kpl_lambda", handler, policy, InMemoryFailureSink())
    event = kinesis_event(kinesis_record(blob, SEQUENCE), plain)
    if policy.name.value == "halt":
        with pytest.raises(RuntimeError, match="record 1 is poison"):
            processor.process(event)
    else:
        # THEN batchItemFailures names the aggregate's sequence number: Lambda retries it all
        assert processor.process(event) == {"batchItemFailures": [{"itemIdentifier": SEQUENCE}]}
    assert handler.calls[:2] == [0, 1]


def test_a_corrupt_aggregate_is_dead_lettered_whole_with_its_reason():
    blob = _aggregate([{"n": 0}, {"n": 1}])
    blob = blob[:-1] + bytes([blob[-1] ^ 1])
    sink, handler = InMemoryFailureSink(), Handler()
    processor = _processor("kpl_corrupt", handler, retry_then_park(), sink)
    processor.process(kinesis_event(kinesis_record(blob, SEQUENCE)))
    [(failed, _)] = sink.dead_letters
    assert handler.calls == []
    assert failed["error"] == {
        "type": "UnreadableRecord",
        "message": "data: KPL aggregate's MD5 digest does not match its contents",
    }
    assert failed["origin"]["aggregated"] is True
    assert base64.b64decode(failed["origin"]["data"]) == blob
