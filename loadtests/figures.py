"""The figures of one variant's run, from what it observed (``variant.Observed``): the
report phase of ``make bench``. A new figure is one more key of ``figures`` and one more
line of ``report.py``; ``docs/benchmark.md`` defines each.

Rates and ratios are computed from unrounded values and rounded once, on the way out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .calls import WRITE_PATH, base_operation, split_calls
from .feedlog import PostTiming, percentiles
from .floor import floor_formula
from .variant import Observed

__all__ = [
    "CPU_SOURCE",
    "figures",
    "first_entry_ms",
    "per_1000",
    "post_figures",
    "query_time",
    "ratio",
]

CPU_SOURCE = "psutil cpu_times: user + system seconds of each process and its descendants"


def _per_1000(calls: Mapping[str, int], entries: int) -> float | None:
    return sum(calls.values()) * 1000 / entries if entries else None


def per_1000(calls: Mapping[str, int], entries: int) -> float | None:
    """Calls per 1,000 entries, to 0.1."""
    return _round(_per_1000(calls, entries))


def ratio(value: float | None, reference: float | None) -> float | None:
    """``value / reference`` to 0.001; ``None`` when either is missing or the reference 0."""
    return round(value / reference, 3) if value is not None and reference else None


def _rate(entries: int, seconds: float) -> float | None:
    return entries / seconds if seconds > 0 else None


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def post_figures(post: PostTiming, raw_entries_per_s: float | None) -> dict[str, Any]:
    """One post's timing: its first entry after the 202, its entries/s over the whole
    post (202 to last entry) and between its first and last write lines, each against
    the raw BatchWriteItem rate."""
    whole = _rate(len(post.times), post.last_entry_s or 0.0)
    after_first, between = post.first_to_last()
    first_to_last = _rate(after_first, between)
    return {
        "author_id": post.author_id,
        "yubl_id": post.yubl_id,
        "followers": post.followers,
        "entries": len(post.times),
        "first_entry_ms": _round(None if post.first_entry_s is None else post.first_entry_s * 1e3),
        "last_entry_ms": _round(None if post.last_entry_s is None else post.last_entry_s * 1e3),
        "entries_per_s": _round(whole),
        "ratio_to_raw": ratio(whole, raw_entries_per_s),
        "first_to_last": {
            "entries": after_first,
            "seconds": round(between, 3),
            "entries_per_s": _round(first_to_last),
            "ratio_to_raw": ratio(first_to_last, raw_entries_per_s),
        },
    }


def first_entry_ms(posts: Iterable[PostTiming]) -> dict[str, float]:
    """p50, p95, p99 and the max over posts of the time from the 202 to the first entry;
    posts that wrote no entry (no active follower) are left out."""
    values = [p.first_entry_s * 1000 for p in posts if p.first_entry_s is not None]
    return {**percentiles(values), "max": round(max(values), 1)} if values else {}


def _entry_latencies_ms(posts: Iterable[PostTiming]) -> list[float]:
    return [(t - p.posted_at) * 1000 for p in posts for t in p.times]


def _last_entries_ms(posts: Iterable[PostTiming]) -> list[float]:
    return [p.last_entry_s * 1000 for p in posts if p.last_entry_s is not None]


def query_time(
    calls: Mapping[str, int], seconds_by_op: Mapping[str, float], run_seconds: float
) -> dict[str, Any]:
    """Every counted Query (``Query``, ``Feeds.Query``, ``Query@table``): calls, their
    seconds summed over every thread of every counted process, and those seconds as a
    share of the run's wall time (above 1 when Queries overlap) and of the seconds of
    every write-path call."""
    names = sorted(op for op in calls if base_operation(op) == "Query")
    count = sum(calls[op] for op in names)
    seconds = sum(seconds_by_op.get(op, 0.0) for op in names)
    write_path_s = sum(s for op, s in seconds_by_op.items() if base_operation(op) in WRITE_PATH)
    return {
        "calls": count,
        "by_name": {op: calls[op] for op in names},
        "seconds": round(seconds, 3),
        "mean_ms": round(seconds * 1000 / count, 1) if count else None,
        "share_of_run": ratio(seconds, run_seconds),
        "share_of_write_path_call_seconds": ratio(seconds, write_path_s),
    }


def figures(
    observed: Observed,
    floor: Mapping[str, int],
    raw_entries_per_s: float | None,
    shape: Mapping[str, int],
    small_max_followers: int,
) -> dict[str, Any]:
    """The figures of one variant; ``small_max_followers``: the most followers of a
    small post (``FANOUT_PRIORITY_MAX_FOLLOWERS``)."""
    log = observed.log
    posts = log.posts()
    small = [p for p in posts if p.followers <= small_max_followers]
    large = [p for p in posts if p.followers > small_max_followers or len(posts) == 1]
    times: Sequence[float] = log.write_times()
    entries = len(times)
    first_post = min(log.posted_at.values()) if log.posted_at else 0.0
    seconds = times[-1] - first_post if times else 0.0
    rate = _rate(entries, seconds)
    groups = split_calls(observed.calls)
    requests = _per_1000(groups["write_path"], entries)
    floor_1000 = _per_1000(floor, observed.expected_entries)
    return {
        "posts": len(posts),
        "feed_entries": entries,
        "expected_entries": observed.expected_entries,
        "complete": observed.complete,
        "duplicate_writes": log.duplicates,
        "seconds": round(seconds, 3),
        "entries_per_s": round(rate or 0.0, 1),
        "ratio_to_raw": ratio(rate, raw_entries_per_s),
        "first_entry_ms": first_entry_ms(posts),
        "small_post_max_followers": small_max_followers,
        "post_to_feed_ms": percentiles(_entry_latencies_ms(posts)),
        "post_to_feed_ms_small_posts": percentiles(_entry_latencies_ms(small)),
        "post_to_last_entry_ms": percentiles(_last_entries_ms(posts)),
        "post_to_last_entry_ms_small_posts": percentiles(_last_entries_ms(small)),
        "large_posts": [post_figures(p, raw_entries_per_s) for p in large],
        "aws_requests": groups,
        "requests_per_1000_entries": _round(requests),
        "floor_per_1000_entries": _round(floor_1000),
        "requests_to_floor": ratio(requests, floor_1000),
        "floor_formula": floor_formula(),
        "query": query_time(observed.calls, observed.seconds_by_op, seconds),
        "cpu_seconds": {
            "by_process": dict(observed.cpu_seconds),
            "window_s": observed.cpu_window_s,
            "source": CPU_SOURCE,
        },
        "shape": {**shape, "messages": log.lines},
    }
