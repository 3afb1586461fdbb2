"""add_to_feed's body on in-memory twins: its time budget and its metrics.

The handler runs inside a StreamProcessor with retry_then_park, as deployed; the
Lambda context is a stand-in whose remaining time shrinks each time it is asked.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.adapters.memory import InMemoryFailureSink, InMemoryFeedStore, InMemoryPostStore
from chalicelib.domain.fanout import encode_group
from chalicelib.domain.posts import new_yubl
from chalicelib.events.feed_writer import feed_writer, report_written
from chalicelib.services.feeds import FeedService, FeedWrite
from chalicelib.streams.policies import halt, retry_then_park
from chalicelib.streams.processor import StreamProcessor
from chalicelib.streams.retry import rerun_parked
from tests.aws_samples import sns_event, sqs_record
from tests.lambda_context import ShrinkingContext

POSTED = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
YUBL = new_yubl("author", "hello", now=POSTED, suffix="0123456789ab")
FOLLOWERS = [f"f{i:03d}" for i in range(120)]
MARGIN_MS = 10_000


def _worker(store, sink, clock=lambda: POSTED + timedelta(seconds=2)):
    service = FeedService(store, InMemoryPostStore(), clock=lambda: POSTED + timedelta(seconds=1))
    handle = feed_writer(lambda: service, margin_ms=lambda: MARGIN_MS, clock=clock)
    pauses: list[float] = []
    processor = StreamProcessor(
        "add_to_feed_test",
        handle,
        retry_then_park(attempts=3),
        sink=lambda: sink,
        sleep=pauses.append,
    )
    return processor, pauses


def _message(followers=FOLLOWERS) -> str:
    [message] = encode_group(YUBL, followers)
    return message


def test_a_worker_out_of_time_parks_the_unwritten_followers_as_a_smaller_message():
    store, sink = InMemoryFeedStore(), InMemoryFailureSink()
    processor, pauses = _worker(store, sink)
    # GIVEN 13 s left, one second less at each check, and a 10 s margin: the checks
    # before chunks 1-4 see 13, 12, 11 and 10 s, the fifth sees 9 s and stops
    context = ShrinkingContext(start_ms=13_000, step_ms=1_000)
    # WHEN the worker writes a group of 120 followers (25 a BatchWriteItem)
    response = processor.process(sns_event({}, _message()), context)
    # THEN 100 entries are written, the other 20 parked as one message, no retry in process
    assert response == {"batchItemFailures": []}
    assert sorted(store.entries) == [(f, YUBL.yubl_id) for f in FOLLOWERS[:100]]
    assert pauses == []
    [(failed, _)] = sink.parked
    assert failed["payload"] == {
        "type": "feed-fanout",
        "version": 2,
        "yubl": YUBL.to_wire(),
        "followers": FOLLOWERS[100:],
    }
    assert failed["error"] == {
        "type": "Unfinished",
        "message": "out of time: 100 feed entries written, 20 handed back "
        "(less than 10000 ms left)",
    }
    assert (failed["handler"], failed["attempts"]) == ("add_to_feed_test", 1)
    assert sink.dead_letters == []


def test_the_parked_rest_is_written_by_the_retry_worker_and_no_entry_twice():
    store, sink = InMemoryFeedStore(), InMemoryFailureSink()
    processor, _ = _worker(store, sink)
    processor.process(sns_event({}, _message()), ShrinkingContext(13_000, 1_000))
    [(failed, _)] = sink.parked
    # WHEN the retry worker re-runs the parked message with time to spare
    retry = StreamProcessor("retry_parked_test", rerun_parked, halt())
    retry.process({"Records": [sqs_record({}, json.dumps(failed))]}, ShrinkingContext(60_000, 10))
    # THEN every follower's feed holds the yubl, each written exactly once
    assert store.write_counts == Counter({(f, YUBL.yubl_id): 1 for f in FOLLOWERS})
    assert len(sink.parked) == 1


def test_a_worker_with_no_time_left_writes_nothing_and_parks_the_whole_group():
    store, sink = InMemoryFeedStore(), InMemoryFailureSink()
    processor, _ = _worker(store, sink)
    processor.process(sns_event({}, _message()), ShrinkingContext(5_000, 0))
    assert store.writes == 0
    [(failed, _)] = sink.parked
    assert failed["payload"]["followers"] == FOLLOWERS


def test_a_worker_with_time_to_spare_writes_everything_and_parks_nothing():
    store, sink = InMemoryFeedStore(), InMemoryFailureSink()
    processor, _ = _worker(store, sink)
    context = ShrinkingContext(60_000, 1_000)
    processor.process(sns_event({}, _message()), context)
    assert store.write_counts == Counter({(f, YUBL.yubl_id): 1 for f in FOLLOWERS})
    assert context.asked == 5  # once before each of the five BatchWriteItem chunks
    assert (sink.parked, sink.dead_letters) == ([], [])


def test_an_invalid_posted_at_is_dead_lettered_before_any_feed_write():
    store, sink = InMemoryFeedStore(), InMemoryFailureSink()
    processor, _ = _worker(store, sink)
    message = json.loads(_message(["f1", "f2"]))
    message["yubl"]["posted_at"] = "yesterday"
    processor.process(sns_event({}, json.dumps(message)), ShrinkingContext(60_000, 0))
    assert store.writes == 0
    assert sink.parked == []
    [(failed, _)] = sink.dead_letters
    assert failed["error"]["type"] == "InvalidInput"
    assert failed["error"]["message"].startswith("yubl.posted_at: must be an RFC 3339 time")
    assert failed["attempts"] == 1


def test_a_posted_at_beyond_the_clock_skew_is_dead_lettered_before_any_feed_write():
    store, sink = InMemoryFeedStore(), InMemoryFailureSink()
    processor, _ = _worker(store, sink)
    message = json.loads(_message(["f1"]))
    message["yubl"]["posted_at"] = "2026-11-23T12:02:01.001Z"  # reader's clock: 12:00:01
    processor.process(sns_event({}, json.dumps(message)), None)
    assert store.writes == 0
    [(failed, _)] = sink.dead_letters
    assert failed["error"]["message"] == (
        "yubl.posted_at: is in the future (2026-11-23T12:02:01.001Z; "
        "now 2026-11-23T12:00:01.000Z, allowed clock skew 60 s)"
    )


# --- metrics after the write never fail the record -------------------------------------


def _emf(out: str, name: str) -> list[dict]:
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return [line for line in lines if name in line and "_aws" in line]


def test_a_negative_latency_is_recorded_as_zero_and_the_record_succeeds(capsys):
    # GIVEN a post stamped 30 s ahead of the worker's clock (inside the allowed skew)
    store, sink = InMemoryFeedStore(), InMemoryFailureSink()
    processor, pauses = _worker(store, sink, clock=lambda: POSTED - timedelta(seconds=30))
    # WHEN it is written
    processor.process(sns_event({}, _message(["f1", "f2"])), None)
    # THEN it is written once, not retried, and the latency metric is 0, not negative
    assert store.write_counts == Counter({("f1", YUBL.yubl_id): 1, ("f2", YUBL.yubl_id): 1})
    assert (pauses, sink.parked, sink.dead_letters) == ([], [], [])
    [latency] = _emf(capsys.readouterr().out, "PostToFeedLatency")
    assert latency["PostToFeedLatency"] == [0.0]


@pytest.mark.parametrize(
    ("arrived_at", "latency_ms"),
    [
        ("2026-11-23T12:00:00.400Z", 1_600.0),  # from the post's arrival on the stream
        (None, 2_000.0),  # a message without it (parked before it was carried): posted_at
    ],
)
def test_post_to_feed_latency_runs_from_the_arrival_on_the_stream(arrived_at, latency_ms, capsys):
    # GIVEN a post stamped at POSTED by its producer, written 2 s later
    store, sink = InMemoryFeedStore(), InMemoryFailureSink()
    processor, _ = _worker(store, sink, clock=lambda: POSTED + timedelta(seconds=2))
    [message] = encode_group(YUBL, ["f1"], arrived_at=arrived_at)
    # WHEN its group message is written
    processor.process(sns_event({}, message), None)
    # THEN the latency is measured from the arrival when the message carries it
    [latency] = _emf(capsys.readouterr().out, "PostToFeedLatency")
    assert latency["PostToFeedLatency"] == [latency_ms]


def test_a_failing_metric_after_the_write_does_not_fail_the_record(capsys):
    def broken_clock() -> datetime:
        raise RuntimeError("clock unavailable")

    store, sink = InMemoryFeedStore(), InMemoryFailureSink()
    processor, pauses = _worker(store, sink, clock=broken_clock)
    processor.process(sns_event({}, _message(["f1"])), None)
    assert store.write_counts == Counter({("f1", YUBL.yubl_id): 1})
    assert (pauses, sink.parked, sink.dead_letters) == ([], [], [])
    out = capsys.readouterr().out
    warnings = [json.loads(line) for line in out.splitlines() if "not recorded" in line]
    assert [w["message"] for w in warnings] == [
        "metrics of a feed write not recorded: clock unavailable"
    ]


@pytest.mark.parametrize("posted_at", ["yesterday", "", "2026-13-45T99:99:99Z"])
def test_report_written_survives_a_bad_timestamp(posted_at, capsys):
    report_written(FeedWrite(yubl_id=YUBL.yubl_id, posted_at=posted_at, entries=3))
    out = capsys.readouterr().out
    assert [line["FeedEntriesWritten"] for line in _emf(out, "FeedEntriesWritten")] == [[3.0]]
    assert _emf(out, "PostToFeedLatency") == []
    assert "metrics of a feed write not recorded" in out


def test_a_retry_worker_out_of_time_parks_a_still_smaller_rest_for_the_same_handler():
    store, sink = InMemoryFeedStore(), InMemoryFailureSink()
    processor, _ = _worker(store, sink)
    processor.process(sns_event({}, _message()), ShrinkingContext(11_000, 1_000))
    [(first, _)] = sink.parked  # 50 written, 70 handed back
    assert len(first["payload"]["followers"]) == 70
    # WHEN the retry worker (halt, with a sink) also runs out: two chunks, then stop
    retry = StreamProcessor("retry_parked_test", rerun_parked, halt(), sink=lambda: sink)
    response = retry.process(
        {"Records": [sqs_record({}, json.dumps(first))]}, ShrinkingContext(11_000, 1_000)
    )
    # THEN the message succeeds and a new one names add_to_feed with the last 20 followers
    assert response == {"batchItemFailures": []}
    second = sink.parked[1][0]
    assert (second["handler"], second["payload"]["followers"]) == (
        "add_to_feed_test",
        FOLLOWERS[100:],
    )
    # AND its re-run finishes the group: every entry written exactly once in all
    retry.process({"Records": [sqs_record({}, json.dumps(second))]}, ShrinkingContext(60_000, 0))
    assert store.write_counts == Counter({(f, YUBL.yubl_id): 1 for f in FOLLOWERS})
    assert len(sink.parked) == 2
