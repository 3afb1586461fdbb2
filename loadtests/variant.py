"""One variant's run: post, wait for every feed entry, and turn what was seen into figures."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .calls import split_calls
from .feedlog import FeedLog, percentiles

__all__ = ["Observed", "figures", "wait_for_entries"]


@dataclass
class Observed:
    """What a variant's run saw: its posts, its log of writes, its counted calls."""

    name: str
    expected_entries: int
    log: FeedLog
    calls: Mapping[str, int]
    seconds_by_op: Mapping[str, float]
    complete: bool


def wait_for_entries(
    name: str,
    log: FeedLog,
    expected: int,
    timeout_s: float,
    progress: Callable[[str], None],
    every_s: float = 2.0,
) -> bool:
    """Read the log until ``expected`` entries are written; a progress line every ``every_s``."""
    started = time.monotonic()
    last_line = started
    while True:
        written = log.read()
        now = time.monotonic()
        if written >= expected:
            progress(f"{name}: {written:,}/{expected:,} feed entries in {now - started:.0f} s")
            return True
        if now - started > timeout_s:
            progress(f"{name}: gave up after {timeout_s:.0f} s at {written:,}/{expected:,}")
            return False
        if now - last_line >= every_s:
            share = written / expected if expected else 1.0
            progress(
                f"{name}: {written:,}/{expected:,} feed entries ({share:.0%}), "
                f"{written / (now - started):,.0f}/s, {now - started:.0f} s"
            )
            last_line = now
        time.sleep(0.2)


def _per_1000(calls: Mapping[str, int], entries: int) -> float | None:
    return round(sum(calls.values()) * 1000 / entries, 1) if entries else None


def figures(
    observed: Observed,
    floor: Mapping[str, int],
    raw_entries_per_s: float | None,
    shape: Mapping[str, int],
) -> dict[str, Any]:
    """The figures of one variant (README.md, "Performance", says what each one is)."""
    log = observed.log
    times: Sequence[float] = log.write_times()
    entries = len(times)
    first_post = min(log.posted_at.values()) if log.posted_at else 0.0
    seconds = round(times[-1] - first_post, 3) if times else 0.0
    rate = round(entries / seconds, 1) if seconds > 0 else 0.0
    groups = split_calls(observed.calls)
    queries = observed.calls.get("Query", 0)
    query_s = observed.seconds_by_op.get("Query", 0.0)
    return {
        "posts": len(log.posted_at),
        "feed_entries": entries,
        "expected_entries": observed.expected_entries,
        "complete": observed.complete,
        "duplicate_writes": log.duplicates,
        "seconds": seconds,
        "entries_per_s": rate,
        "post_to_feed_ms": percentiles(log.latencies_ms()),
        "post_to_feed_ms_posts_to_1000_or_fewer": percentiles(log.latencies_ms(1000)),
        "aws_requests": groups,
        "requests_per_1000_entries": _per_1000(groups["write_path"], entries),
        "floor_per_1000_entries": _per_1000(floor, observed.expected_entries),
        "query": {
            "calls": queries,
            "seconds": round(query_s, 3),
            "mean_ms": round(query_s * 1000 / queries, 1) if queries else None,
            # moto scans the whole table on every Query: this share is table size, not us
            "share_of_run": round(query_s / seconds, 3) if seconds > 0 else None,
        },
        "ratio_to_raw": round(rate / raw_entries_per_s, 3) if raw_entries_per_s else None,
        "shape": {**shape, "messages": log.lines},
    }
