"""The local operations page's numbers, from metric lines as the functions write them."""

from __future__ import annotations

import json

import pytest

from chalicelib.observability.metrics import count, record
from devstack.live_metrics import LiveMetrics, LogFollower, emf_samples, percentile


@pytest.fixture
def log_file(tmp_path, monkeypatch):
    path = tmp_path / "stack.log"
    monkeypatch.setenv("LOCAL_LOG_FILE", str(path))
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    return path


def _lines(log_file) -> list[str]:
    return log_file.read_text().splitlines()


def test_the_lines_the_functions_write_are_read_back_with_their_dimensions(log_file):
    # GIVEN the metric lines chalicelib writes
    record("PostToFeedLatency", 1234.5, "Milliseconds")
    count("FailuresByPolicy", function="add_to_feed", policy="retry_then_park", outcome="parked")
    # WHEN the page reads them
    latency, failure = (emf_samples(line) for line in _lines(log_file))
    # THEN each value comes back with its name and dimensions
    assert [(s.name, s.value, s.dimensions) for s in latency] == [
        ("PostToFeedLatency", 1234.5, (("service", "yubl-fanout"),))
    ]
    assert [(s.name, s.value, dict(s.dimensions)) for s in failure] == [
        (
            "FailuresByPolicy",
            1.0,
            {
                "function": "add_to_feed",
                "outcome": "parked",
                "policy": "retry_then_park",
                "service": "yubl-fanout",
            },
        )
    ]


def test_a_log_line_or_a_stray_print_is_no_metric():
    assert emf_samples('{"level":"INFO","message":"feed entries written"}') == []
    assert emf_samples("Traceback (most recent call last):") == []


def test_nearest_rank_percentiles():
    values = [float(v) for v in range(1, 101)]  # 1..100
    assert (percentile(values, 50), percentile(values, 95), percentile(values, 99)) == (
        50.0,
        95.0,
        99.0,
    )
    assert percentile([7.0], 99) == 7.0
    assert percentile([], 50) is None


def _emf(at_ms: int, name: str, value: float, **dims: str) -> str:
    return json.dumps(
        {
            "_aws": {
                "Timestamp": at_ms,
                "CloudWatchMetrics": [
                    {
                        "Namespace": "YublFanout",
                        "Dimensions": [["service", *dims]],
                        "Metrics": [{"Name": name, "Unit": "Count"}],
                    }
                ],
            },
            "service": "yubl-fanout",
            name: [value],
            **dims,
        }
    )


def test_the_snapshot_sums_up_the_last_five_minutes():
    now = 1_000_000.0
    metrics = LiveMetrics(window=300)
    lines = [
        _emf(int((now - 400) * 1000), "PostToFeedLatency", 99_000),  # older than the window
        *(_emf(int((now - 5) * 1000), "PostToFeedLatency", ms) for ms in (100, 200, 300, 400)),
        _emf(int((now - 3) * 1000), "FeedEntriesWritten", 100),
        _emf(int((now - 3) * 1000 + 500), "FeedEntriesWritten", 50),
        _emf(int((now - 1) * 1000), "FeedEntriesWritten", 25),
        _emf(int((now - 2) * 1000), "IteratorAge", 40, function="distribute_yubl"),
        _emf(int((now - 2) * 1000 + 100), "IteratorAge", 70, function="distribute_yubl"),
        *[
            _emf(
                int((now - 1) * 1000),
                "FailuresByPolicy",
                1,
                function="f",
                policy="skip",
                outcome="dead_lettered",
            )
        ]
        * 2,
    ]
    for line in lines:
        metrics.add(emf_samples(line))
    snapshot = metrics.snapshot(now)
    assert snapshot["latency_ms"] == {
        "values": [100.0, 200.0, 300.0, 400.0],
        "count": 4,
        "p50": 200.0,
        "p95": 400.0,
        "p99": 400.0,
    }
    assert snapshot["entries"] == {
        "total": 175.0,
        "per_second": {"t": [-3.0, -1.0], "v": [150, 25]},
        "last_10s_per_second": 17.5,
    }
    assert snapshot["iterator_age_ms"] == {"distribute_yubl": {"t": [-2.0], "v": [70.0]}}
    assert snapshot["failures"] == [
        {"function": "f", "policy": "skip", "outcome": "dead_lettered", "count": 2}
    ]


def test_the_follower_reads_whole_lines_once_and_starts_over_on_a_new_file(tmp_path):
    path = tmp_path / "stack.log"
    follower = LogFollower(path)
    assert follower.new_lines() == []  # no file yet
    path.write_text('{"a":1}\n{"b":')
    assert follower.new_lines() == ['{"a":1}']
    with path.open("a") as log:
        log.write("2}\n")
    assert follower.new_lines() == ['{"b":2}']
    assert follower.new_lines() == []
    path.write_text('{"c":3}\n')  # make run moved the old log aside: a shorter file
    assert follower.new_lines() == ['{"c":3}']


def test_a_long_log_is_caught_up_a_chunk_at_a_time(tmp_path):
    path = tmp_path / "stack.log"
    path.write_text("".join(f'{{"n":{n}}}\n' for n in range(10)))  # 8 bytes a line
    follower = LogFollower(path, chunk=20)
    reads = [follower.new_lines() for _ in range(5)]  # 80 bytes, 20 a read: 4 reads
    assert reads[4] == []
    assert [line for lines in reads for line in lines] == [f'{{"n":{n}}}' for n in range(10)]
    assert [len(lines) for lines in reads] == [2, 3, 2, 3, 0]  # 20 bytes: whole lines only
