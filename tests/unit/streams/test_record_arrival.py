"""A stream record's arrival (Kinesis's approximateArrivalTimestamp) is in force while its
handler runs, the first time and when it is re-run from the retry queue."""

from __future__ import annotations

import json

from chalicelib.adapters.memory import InMemoryFailureSink
from chalicelib.streams.invocation import record_arrival
from chalicelib.streams.policies import retry_then_park
from chalicelib.streams.processor import StreamProcessor
from chalicelib.streams.retry import rerun_parked
from tests.aws_samples import kinesis_event, kinesis_record, sns_event

SAMPLE_ARRIVAL = 1545084650.987  # the AWS sample record's approximateArrivalTimestamp


class Seen:
    """A handler that notes the arrival in force, and fails its first ``failures`` calls."""

    def __init__(self, failures: int = 0) -> None:
        self.arrivals: list[float | None] = []
        self.failures = failures

    def __call__(self, payload: object) -> None:
        self.arrivals.append(record_arrival())
        if len(self.arrivals) <= self.failures:
            raise RuntimeError("not yet")


def _processor(name: str, handler: Seen, sink: InMemoryFailureSink) -> StreamProcessor:
    policy = retry_then_park(attempts=1, base_delay=0)
    return StreamProcessor(name, handler, policy, sink=lambda: sink, sleep=lambda _: None)


def test_a_kinesis_records_arrival_is_in_force_while_its_handler_runs_and_not_after():
    seen, sink = Seen(), InMemoryFailureSink()
    _processor("arrival_kinesis", seen, sink).process(
        kinesis_event(kinesis_record(b'{"n": 1}', "1" * 56))
    )
    assert seen.arrivals == [SAMPLE_ARRIVAL]
    assert record_arrival() is None


def test_a_topics_message_has_no_arrival():
    seen, sink = Seen(), InMemoryFailureSink()
    _processor("arrival_sns", seen, sink).process(sns_event({}, json.dumps({"n": 1})))
    assert seen.arrivals == [None]


def test_a_parked_record_is_re_run_with_the_arrival_its_origin_kept():
    # GIVEN a Kinesis record parked after its one attempt failed
    seen, sink = Seen(failures=1), InMemoryFailureSink()
    _processor("arrival_parked", seen, sink).process(
        kinesis_event(kinesis_record(b'{"n": 1}', "2" * 56))
    )
    [(failed, _)] = sink.parked
    assert failed["origin"]["approximateArrivalTimestamp"] == SAMPLE_ARRIVAL
    # WHEN the retry worker re-runs it (from the queue: JSON, as SQS carries it)
    rerun_parked(json.loads(json.dumps(failed)))
    # THEN its handler sees the arrival on the stream both times
    assert seen.arrivals == [SAMPLE_ARRIVAL, SAMPLE_ARRIVAL]
