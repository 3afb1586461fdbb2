"""The figures of a benchmark result as the lines ``make bench`` prints before its JSON:
one block per variant, in the order of ``docs/benchmark.md``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["report_lines"]


def _ms(found: Mapping[str, float]) -> str:
    return " ".join(f"{k} {v:,.0f}" for k, v in found.items()) if found else "none"


def _tenths(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.1f}"


def _seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def _times(value: float | None) -> str:
    return "n/a" if value is None else f"{value:g} x"  # as in the JSON: to 0.001


def _floor_sum(floor: Mapping[str, int], entries: int) -> str:
    terms = " + ".join(f"{op} {n:,}" for op, n in floor.items())
    return f"{terms} = {sum(floor.values()):,} calls for {entries:,} entries"


def _number(value: float | None, unit: str = "") -> str:
    return "n/a" if value is None else f"{value:,.0f}{unit}"


def _large_post(post: Mapping[str, Any]) -> str:
    between = post["first_to_last"]
    return (
        f"  post of {post['author_id']} ({post['followers']:,} followers, "
        f"{post['entries']:,} entries): first entry {_number(post['first_entry_ms'], ' ms')}"
        f" after its 202; whole post {_number(post['entries_per_s'], '/s')} = "
        f"{_times(post['ratio_to_raw'])} raw; first to last entry "
        f"{_number(between['entries_per_s'], '/s')} = {_times(between['ratio_to_raw'])} raw "
        f"({between['entries']:,} entries in {between['seconds']:.2f} s)"
    )


def _variant(name: str, found: Mapping[str, Any], floor: Mapping[str, int] | None) -> list[str]:
    raw = found.get("raw_batch_write_entries_per_s")
    small = found["small_post_max_followers"]
    query, cpu = found["query"], found["cpu_seconds"]
    lines = [
        f"{name}: {found['posts']} posts, {found['feed_entries']:,} of "
        f"{found['expected_entries']:,} entries, {found['seconds']:.1f} s from the first 202 "
        f"to the last entry{'' if found['complete'] else ' (INCOMPLETE)'}",
        f"  write-path calls per 1,000 entries: {_tenths(found['requests_per_1000_entries'])}"
        f" against a floor of {_tenths(found['floor_per_1000_entries'])}"
        f" ({_times(found['requests_to_floor'])})",
    ]
    if floor is not None:
        lines.append(f"  floor {found['floor_formula']}")
        lines.append(f"  floor of this run: {_floor_sum(floor, found['expected_entries'])}")
    lines += [
        f"  entries/s: {found['entries_per_s']:,.0f} = {_times(found['ratio_to_raw'])} the raw "
        f"BatchWriteItem rate" + (f" ({raw:,.0f}/s)" if raw else ""),
        f"  first entry after the 202, over posts (ms): {_ms(found['first_entry_ms'])}",
        *(_large_post(post) for post in found["large_posts"]),
        f"  post to feed, over entries (ms): all {_ms(found['post_to_feed_ms'])}; small posts "
        f"(<= {small:,} followers) {_ms(found['post_to_feed_ms_small_posts'])}",
        f"  post to last entry, over posts (ms): all {_ms(found['post_to_last_entry_ms'])}; "
        f"small posts {_ms(found['post_to_last_entry_ms_small_posts'])}",
        f"  Query: {query['calls']:,} calls, {query['seconds']:.1f} s = "
        f"{_times(query['share_of_run'])} the run, "
        f"{_times(query['share_of_write_path_call_seconds'])} the write path's call seconds",
        f"  CPU seconds in the {cpu['window_s']:.1f} s window (psutil): "
        + ", ".join(f"{p} {_seconds(s)}" for p, s in cpu["by_process"].items()),
    ]
    return lines


def report_lines(result: Mapping[str, Any]) -> list[str]:
    """The optimised variant's figures, then the naive variant's (when it ran)."""
    lines = _variant("optimised", result, result.get("floor"))
    if result.get("naive"):
        raw = result.get("raw_batch_write_entries_per_s")
        lines += _variant("naive", {**result["naive"], "raw_batch_write_entries_per_s": raw}, None)
    return lines
