"""The four failure policies on an in-memory failure sink."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from chalicelib.adapters.memory import InMemoryFailureSink
from chalicelib.domain.errors import InvalidInput
from chalicelib.streams.policies import halt, report_item_failures, retry_then_park, skip
from chalicelib.streams.processor import StreamProcessor
from tests.aws_samples import SNS_SAMPLE, kinesis_event, kinesis_record, sns_event

FIRST_SEQUENCE = 49545115243490985018280067714973144582180062593244200961


def _record(data: dict | bytes, position: int):
    """Record number ``position`` of a batch: real-sized sequence numbers, one apart."""
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return kinesis_record(raw, str(FIRST_SEQUENCE + position), partition_key="pk")


T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


class Handler:
    """Fails for chosen record numbers: always, or for the first ``n`` calls."""

    def __init__(self, always: set[int] = frozenset(), transient: dict[int, int] | None = None):
        self.always = set(always)
        self.transient = dict(transient or {})
        self.calls: list[int] = []

    def __call__(self, payload):
        n = payload["n"]
        self.calls.append(n)
        if n in self.always:
            raise RuntimeError(f"record {n} is poison")
        if self.transient.get(n, 0) > 0:
            self.transient[n] -= 1
            raise RuntimeError(f"record {n} hiccup")
        if payload.get("invalid"):
            raise InvalidInput("yubl", "is invalid")


def _processor(handler, policy, sink=None):
    pauses: list[float] = []
    processor = StreamProcessor(
        "test_fn",
        handler,
        policy,
        sink=(lambda: sink) if sink else None,
        sleep=pauses.append,
        clock=lambda: T0,
    )
    return processor, pauses


def _batch(count: int):
    return kinesis_event(*(_record({"n": i}, i) for i in range(count)))


def test_halt_stops_at_the_first_failure_and_fails_the_batch():
    handler = Handler(always={2})
    processor, _ = _processor(handler, halt())
    with pytest.raises(RuntimeError, match="record 2 is poison"):
        processor.process(_batch(5))
    assert handler.calls == [0, 1, 2]


def test_skip_dead_letters_a_copy_and_carries_on():
    handler = Handler(always={2})
    sink = InMemoryFailureSink()
    processor, _ = _processor(handler, skip(), sink)
    assert processor.process(_batch(5)) == {"batchItemFailures": []}
    assert handler.calls == [0, 1, 2, 3, 4]
    [(failed, _)] = sink.dead_letters
    assert failed["payload"] == {"n": 2}
    assert failed["error"] == {"type": "RuntimeError", "message": "record 2 is poison"}
    assert (failed["policy"], failed["attempts"], failed["handler"]) == ("skip", 1, "test_fn")
    assert sink.parked == []


def test_retry_then_park_retries_with_backoff_then_parks_and_reports_success():
    handler = Handler(always={1})
    sink = InMemoryFailureSink()
    processor, pauses = _processor(handler, retry_then_park(attempts=3, base_delay=0.1), sink)
    assert processor.process(_batch(3)) == {"batchItemFailures": []}
    assert handler.calls == [0, 1, 1, 1, 2]
    assert pauses == [0.1, 0.2]
    [(failed, _)] = sink.parked
    assert failed == {
        "handler": "test_fn",
        "policy": "retry_then_park",
        "payload": {"n": 1},
        "text": None,
        "error": {"type": "RuntimeError", "message": "record 1 is poison"},
        "attempts": 3,
        "first_failure_at": "2026-11-23T12:00:00.000Z",
        "origin": {
            "eventSourceARN": "arn:aws:kinesis:us-west-2:123456789012:stream/examplestream",
            "eventID": "shardId-000000000000:"
            "49545115243490985018280067714973144582180062593244200962",
            "partitionKey": "pk",
            "sequenceNumber": "49545115243490985018280067714973144582180062593244200962",
            "approximateArrivalTimestamp": 1545084650.987,
            "data": "eyJuIjogMX0=",
        },
    }
    assert sink.dead_letters == []


def test_retry_then_park_delivers_a_transient_failure_without_parking():
    handler = Handler(transient={1: 2})
    sink = InMemoryFailureSink()
    processor, _ = _processor(handler, retry_then_park(attempts=3), sink)
    processor.process(_batch(3))
    assert handler.calls == [0, 1, 1, 1, 2]
    assert (sink.parked, sink.dead_letters) == ([], [])


def test_a_record_that_is_not_json_goes_straight_to_the_dead_letter_queue():
    handler = Handler()
    sink = InMemoryFailureSink()
    processor, _ = _processor(handler, retry_then_park(attempts=3), sink)
    event = kinesis_event(
        _record({"n": 0}, 0),
        _record(b"Hello, this is a test 123.", 1),
        _record({"n": 2}, 2),
    )
    processor.process(event)
    assert handler.calls == [0, 2]
    [(failed, _)] = sink.dead_letters
    assert failed["payload"] is None
    assert failed["text"] == "Hello, this is a test 123."
    assert failed["error"] == {
        "type": "NotJson",
        "message": "data: record data is not JSON (Expecting value: line 1 column 1 (char 0))",
    }
    assert failed["attempts"] == 1
    assert sink.parked == []


def test_invalid_input_is_dead_lettered_without_retries():
    handler = Handler()
    sink = InMemoryFailureSink()
    processor, _ = _processor(handler, retry_then_park(attempts=3), sink)
    processor.process(kinesis_event(_record({"n": 7, "invalid": True}, 0)))
    assert handler.calls == [7]
    assert [f["error"]["type"] for f, _ in sink.dead_letters] == ["InvalidInput"]


def test_report_item_failures_names_each_failed_sequence_number():
    handler = Handler(always={1, 3})
    processor, _ = _processor(handler, report_item_failures())
    response = processor.process(_batch(5))
    assert response == {
        "batchItemFailures": [
            {"itemIdentifier": "49545115243490985018280067714973144582180062593244200962"},
            {"itemIdentifier": "49545115243490985018280067714973144582180062593244200964"},
        ]
    }


def test_report_item_failures_with_no_failure_reports_an_empty_list():
    processor, _ = _processor(Handler(), report_item_failures())
    assert processor.process(_batch(3)) == {"batchItemFailures": []}


def test_each_record_runs_with_its_own_correlation_ids():
    from chalicelib.observability.correlation import current_ids

    seen: list[str] = []

    def handler(payload):
        seen.append(current_ids()["x-correlation-id"])

    processor, _ = _processor(handler, halt())
    processor.process(
        kinesis_event(
            _record({"n": 0, "__context__": {"x-correlation-id": "id-a"}}, 0),
            _record({"n": 1, "__context__": {"x-correlation-id": "id-b"}}, 1),
        )
    )
    assert seen == ["id-a", "id-b"]


def test_loop_guard_dead_letters_a_record_past_the_call_chain_limit():
    handler = Handler()
    sink = InMemoryFailureSink()
    processor, _ = _processor(handler, retry_then_park(), sink)
    too_long = {"x-correlation-id": "loop", "call-chain-length": "11"}
    processor.process(kinesis_event(_record({"n": 0, "__context__": too_long}, 0)))
    assert handler.calls == []
    [(failed, correlation)] = sink.dead_letters
    assert failed["error"]["type"] == "CallChainTooLong"
    assert correlation["x-correlation-id"] == "loop"


def test_sns_record_parks_with_its_message():
    handler = Handler(always={4})
    sink = InMemoryFailureSink()
    processor, _ = _processor(handler, retry_then_park(attempts=2), sink)
    processor.process(
        sns_event({"x-correlation-id": {"Type": "String", "Value": "sns-id"}}, '{"n": 4}')
    )
    [(failed, correlation)] = sink.parked
    assert failed["payload"] == {"n": 4}
    assert failed["origin"] == {
        "TopicArn": SNS_SAMPLE["Records"][0]["Sns"]["TopicArn"],
        "MessageId": SNS_SAMPLE["Records"][0]["Sns"]["MessageId"],
    }
    assert correlation["x-correlation-id"] == "sns-id"


def test_policies_that_divert_need_a_sink():
    with pytest.raises(ValueError, match="policy retry_then_park needs a failure sink"):
        StreamProcessor("x", Handler(), retry_then_park())


# --- what a failure is: permanent (dead-letter at once) or transient (retry) -----------


def _raising(error: Exception):
    calls: list[dict] = []

    def handler(payload):
        calls.append(payload)
        raise error

    return handler, calls


def test_an_sns_sender_fault_is_dead_lettered_at_once_with_its_reason():
    from chalicelib.adapters.sns_publisher import PublishRefused

    refused = PublishRefused("1 of 10 messages not published to arn:t (sender fault): x")
    handler, calls = _raising(refused)
    sink = InMemoryFailureSink()
    processor, pauses = _processor(handler, retry_then_park(attempts=3), sink)
    processor.process(_batch(1))
    assert (len(calls), pauses, sink.parked) == (1, [], [])
    [(failed, _)] = sink.dead_letters
    assert failed["error"] == {
        "type": "PublishRefused",
        "message": "1 of 10 messages not published to arn:t (sender fault): x",
    }
    assert failed["attempts"] == 1


def test_a_transient_publish_failure_is_retried_then_parked():
    from chalicelib.adapters.sns_publisher import PublishFailed

    handler, calls = _raising(PublishFailed("2 of 10 messages not published (after retries)"))
    sink = InMemoryFailureSink()
    processor, pauses = _processor(handler, retry_then_park(attempts=3, base_delay=0.1), sink)
    processor.process(_batch(1))
    assert (len(calls), pauses, sink.dead_letters) == (3, [0.1, 0.2], [])
    assert [f["error"]["type"] for f, _ in sink.parked] == ["PublishFailed"]


def test_any_permanent_failure_skips_the_in_process_retries():
    from chalicelib.domain.errors import PermanentFailure

    handler, calls = _raising(PermanentFailure("refused for good"))
    sink = InMemoryFailureSink()
    processor, _ = _processor(handler, retry_then_park(attempts=5), sink)
    processor.process(_batch(1))
    assert len(calls) == 1
    assert [f["error"]["message"] for f, _ in sink.dead_letters] == ["refused for good"]


# --- Unfinished: a handler hands back the part it did not do ---------------------------


def test_retry_then_park_parks_the_unfinished_rest_without_retrying():
    from chalicelib.streams.invocation import Unfinished

    handler, calls = _raising(Unfinished({"n": 0, "rest": [3, 4]}, "out of time"))
    sink = InMemoryFailureSink()
    processor, pauses = _processor(handler, retry_then_park(attempts=3), sink)
    processor.process(_batch(1))
    assert (len(calls), pauses, sink.dead_letters) == (1, [], [])
    [(failed, _)] = sink.parked
    assert (failed["payload"], failed["text"]) == ({"n": 0, "rest": [3, 4]}, None)
    assert failed["error"] == {"type": "Unfinished", "message": "out of time"}


def test_skip_parks_the_unfinished_rest_too_as_work_still_to_do():
    from chalicelib.streams.invocation import Unfinished

    handler, _ = _raising(Unfinished({"rest": [1]}, "out of time"))
    sink = InMemoryFailureSink()
    processor, _ = _processor(handler, skip(), sink)
    processor.process(_batch(1))
    assert ([f["payload"] for f, _ in sink.parked], sink.dead_letters) == ([{"rest": [1]}], [])


def test_halt_with_a_sink_parks_the_unfinished_rest_under_the_handler_it_names():
    from chalicelib.streams.invocation import Unfinished

    rest = Unfinished({"rest": [1]}, "out of time", handler="add_to_feed")
    handler, _ = _raising(rest)
    sink = InMemoryFailureSink()
    processor, _ = _processor(handler, halt(), sink)
    assert processor.process(_batch(1)) == {"batchItemFailures": []}
    [(failed, _)] = sink.parked
    assert (failed["handler"], failed["payload"]) == ("add_to_feed", {"rest": [1]})


def test_halt_without_a_sink_fails_the_batch_on_an_unfinished_record():
    from chalicelib.streams.invocation import Unfinished

    handler, _ = _raising(Unfinished({"rest": [1]}, "out of time"))
    processor, _ = _processor(handler, halt())
    with pytest.raises(Unfinished, match="out of time"):
        processor.process(_batch(1))


def test_the_context_is_in_force_only_while_the_processor_runs():
    from chalicelib.streams.invocation import remaining_ms

    class Context:
        def get_remaining_time_in_millis(self) -> int:
            return 1234

    seen: list[int | None] = []
    processor, _ = _processor(lambda payload: seen.append(remaining_ms()), halt())
    processor.process(_batch(2), Context())
    assert seen == [1234, 1234]
    assert remaining_ms() is None
