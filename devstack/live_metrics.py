"""The numbers of the local operations page, read from the metric lines of ``stack.log``.

Every function of the local stack writes its metrics as CloudWatch Embedded Metric
Format lines into the one log file (``devstack.logs``); on AWS, CloudWatch turns the same
lines into the dashboard's metrics. Here they are read back as they are appended, and
kept for the last few minutes: post-to-feed latency (its histogram and percentiles), feed
entries per second, iterator age per stream reader, failures by policy and outcome.
Knows nothing of ``chalicelib``: it reads the EMF format, not the code that writes it.
"""

from __future__ import annotations

import json
import math
import threading
from collections import Counter, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["LiveMetrics", "LogFollower", "Sample", "emf_samples", "percentile"]

WINDOW_SECONDS = 300  # what the page shows: the last five minutes


@dataclass(frozen=True)
class Sample:
    at: float  # epoch seconds
    name: str
    value: float
    dimensions: tuple[tuple[str, str], ...]

    def dimension(self, name: str) -> str:
        return dict(self.dimensions).get(name, "")


def emf_samples(line: str) -> list[Sample]:
    """Every metric value of one EMF line (none for any other line)."""
    try:
        fields = json.loads(line)
    except ValueError:
        return []
    emf = fields.get("_aws") if isinstance(fields, dict) else None
    if not isinstance(emf, dict) or not isinstance(emf.get("Timestamp"), int | float):
        return []
    at = emf["Timestamp"] / 1000
    samples = []
    for directive in emf.get("CloudWatchMetrics", []):
        names = sorted({name for group in directive.get("Dimensions", []) for name in group})
        dims = tuple((name, str(fields.get(name, ""))) for name in names)
        for metric in directive.get("Metrics", []):
            values = fields.get(metric.get("Name"))
            for value in values if isinstance(values, list) else [values]:
                if isinstance(value, int | float) and not isinstance(value, bool):
                    samples.append(Sample(at, metric["Name"], float(value), dims))
    return samples


def percentile(values: list[float], q: float) -> float | None:
    """The nearest-rank percentile ``q`` (0-100) of ``values``; None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


class LogFollower:
    """Reads the whole lines appended to a file since the last read, at most ``chunk``
    bytes a time (a long run's log is caught up over a few reads, never held whole); a
    new, shorter file is read from its start (``make run`` moves the previous log aside)."""

    def __init__(self, path: Path, chunk: int = 8 * 1024 * 1024) -> None:
        self.path = path
        self.chunk = chunk
        self._offset = 0
        self._partial = b""

    def new_lines(self) -> list[str]:
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            return []
        if size < self._offset:
            self._offset, self._partial = 0, b""
        with self.path.open("rb") as log:
            log.seek(self._offset)
            chunk = log.read(self.chunk)
        self._offset += len(chunk)
        *lines, self._partial = (self._partial + chunk).split(b"\n")
        return [line.decode("utf-8", "replace") for line in lines if line.strip()]


class LiveMetrics:
    """The samples of the last ``window`` seconds, summed up for the page."""

    def __init__(self, window: float = WINDOW_SECONDS) -> None:
        self.window = window
        self._samples: deque[Sample] = deque()
        self._failures: Counter[tuple[str, str, str]] = Counter()  # since the page started
        self._entries_total = 0.0
        self._lock = threading.Lock()

    def add(self, samples: Iterable[Sample]) -> None:
        with self._lock:
            for sample in samples:
                self._samples.append(sample)
                if sample.name == "FailuresByPolicy":
                    key = (
                        sample.dimension("function"),
                        sample.dimension("policy"),
                        sample.dimension("outcome"),
                    )
                    self._failures[key] += int(sample.value)
                elif sample.name == "FeedEntriesWritten":
                    self._entries_total += sample.value

    def _recent(self, now: float) -> list[Sample]:
        while self._samples and self._samples[0].at < now - self.window:
            self._samples.popleft()
        return list(self._samples)

    def snapshot(self, now: float) -> dict[str, Any]:
        """What the page draws, as JSON-ready data; times are seconds before ``now``."""
        with self._lock:
            recent = self._recent(now)
            failures = sorted(self._failures.items())
            entries_total = self._entries_total
        latency = [s.value for s in recent if s.name == "PostToFeedLatency"]
        per_second: Counter[int] = Counter()
        for s in recent:
            if s.name == "FeedEntriesWritten":
                per_second[math.floor(s.at)] += int(s.value)
        ages: dict[str, dict[int, float]] = {}
        for s in recent:
            if s.name == "IteratorAge":
                second = ages.setdefault(s.dimension("function"), {})
                key = math.floor(s.at)
                second[key] = max(s.value, second.get(key, 0.0))
        return {
            "window_seconds": self.window,
            "latency_ms": {
                "values": latency,
                "count": len(latency),
                **{f"p{q}": percentile(latency, q) for q in (50, 95, 99)},
            },
            "entries": {
                "total": entries_total,
                "per_second": _series(per_second, now),
                "last_10s_per_second": sum(
                    v for t, v in per_second.items() if t >= math.floor(now) - 10
                )
                / 10,
            },
            "iterator_age_ms": {
                function: _series(by_second, now) for function, by_second in sorted(ages.items())
            },
            "failures": [
                {"function": f, "policy": p, "outcome": o, "count": n} for (f, p, o), n in failures
            ],
        }


def _series(by_second: Mapping[int, float], now: float) -> dict[str, list[float]]:
    seconds = sorted(by_second)
    return {"t": [t - now for t in seconds], "v": [by_second[t] for t in seconds]}
