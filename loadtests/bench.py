"""``make bench``: the fan-out benchmark on a fresh local stack on free ports.

Three phases. Set-up (``bench_stack.py``): the stack, the follower graph
(``graph.py``) seeded, the emulator's raw BatchWriteItem rate. Measure (``runs.py``):
posts through the HTTP API and waits for every feed entry, then the naive variant
(``naive/app.py``) on the same graph, the celebrity trade-off (``tradeoff.py``) and the
write units per feed entry (``entry_units.py``). Report (``figures.py``, ``report.py``):
the figures, defined in ``docs/benchmark.md``. Calls are counted inside the API and
runtime processes by a botocore plugin (``counting.py``); latencies come from the
workers' log lines. Progress goes to standard output; the last line is one JSON object.

``BENCH_ONE_POST=<followers>`` (``make bench-post FOLLOWERS=20000``) runs the same
phases on one post and leaves out the naive variant, the trade-off and the entry units.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .bench_stack import Progress, Setup, set_up, stage_setting
from .cost import costs, load_pricing, table
from .entry_units import measure_entry_units, summary
from .figures import figures
from .floor import PostShape, run_floor
from .graph import BenchSettings, FollowerGraph, build_graph
from .inactive import logged_skips, savings
from .plots import plot_run
from .report import report_lines
from .runs import run_naive, run_optimised
from .tradeoff import TradeoffSettings, local_stage_environment, measure_tradeoff
from .variant import Observed

__all__ = ["main", "run"]

LOADTESTS_DIR = Path(__file__).resolve().parent


def _say(message: str) -> None:
    print(f"[bench] {message}", flush=True)


@dataclass
class Measured:
    """What the measure phase saw."""

    optimised: Observed
    shapes: list[PostShape]  # the optimised run's posts, for the floor
    skipped: int  # inactive followers the workers logged as skipped
    naive: Observed | None
    naive_graph: FollowerGraph
    tradeoff: dict[str, Any] | None
    entry_units: dict[str, Any] | None


def _measure(
    setup: Setup,
    settings: BenchSettings,
    tradeoff_settings: TradeoffSettings | None,
    progress: Progress,
) -> Measured:
    stack_log = setup.stack.log_dir / "stack.log"
    log_offset = stack_log.stat().st_size
    optimised, shapes = run_optimised(setup, settings, progress)
    skipped = logged_skips(stack_log, set(optimised.log.posted_at), log_offset)
    setup.stack.children[0].stop()  # the fan-out runtime: the naive variant gets the cores
    naive, naive_graph = None, setup.graph
    if settings.naive:
        naive_graph = setup.graph.first_posts(settings.naive_max_entries)
        naive = run_naive(setup, naive_graph, settings, progress)
    tradeoff = entry_units = None
    if not settings.one_post:
        if tradeoff_settings is not None and tradeoff_settings.enabled:
            tradeoff = measure_tradeoff(tradeoff_settings, progress, local_stage_environment())
        entry_units = measure_entry_units(local_stage_environment(), progress)
    return Measured(optimised, shapes, skipped, naive, naive_graph, tradeoff, entry_units)


def _report(setup: Setup, measured: Measured, settings: BenchSettings) -> dict[str, Any]:
    graph, optimised = setup.graph, measured.optimised
    floor = run_floor(measured.shapes)
    raw_rate, small_max = setup.raw_entries_per_s, setup.small_max_followers
    text = "x" * settings.text_bytes
    envelope = max((s.envelope_bytes for s in measured.shapes), default=0)
    result = figures(optimised, floor, raw_rate, _shape(graph, text, envelope), small_max)
    result["raw_batch_write_entries_per_s"] = raw_rate
    result["inactive"] = savings(
        graph,
        setup.inactive,
        setup.inactive_percent,
        stage_setting("FOLLOWER_GROUP_SIZE", os.environ.get("FOLLOWER_GROUP_SIZE"), 500),
        {
            "entries_written": len(optimised.log.written),
            "entries_skipped": measured.skipped,
            "batch_write_calls": optimised.calls.get("BatchWriteItem", 0),
            "batch_get_calls": optimised.calls.get("BatchGetItem", 0),
        },
        load_pricing()["prices"],
        looks_up=setup.looks_up,
    )
    result["raw_batch_write"] = setup.raw
    result["floor"] = floor
    result["naive"] = None
    if measured.naive is not None:
        envelopes = {s.author_id: s.envelope_bytes for s in measured.shapes}
        posts = measured.naive_graph.posts
        naive_floor = run_floor(PostShape(a, graph.followers[a], envelopes[a]) for a in posts)
        naive_shape = _shape(measured.naive_graph, text, envelope)
        result["naive"] = figures(measured.naive, naive_floor, raw_rate, naive_shape, small_max)
    result["celebrity_tradeoff"] = measured.tradeoff
    result["entry_write_units"] = measured.entry_units
    result["settings"] = {k: v for k, v in vars(settings).items()}
    return result


def _item_bytes(item: dict[str, str]) -> int:
    return sum(len(k.encode()) + len(v.encode()) for k, v in item.items())


def _shape(graph: FollowerGraph, text: str, envelope_bytes: int) -> dict[str, int]:
    """Sizes the cost model needs: a record, a feed item, a message's envelope, the
    follower ids' share of messages, and the bytes of relationships the posts read."""
    yubl = {
        "yubl_id": "1795447800123-9f2c4e1a0b3d",
        "author_id": graph.posts[0] if graph.posts else "",
        "text": text,
        "posted_at": "2026-11-23T15:30:00.123Z",
    }
    followers = [f for a in graph.posts for f in graph.followers[a]]
    return {
        "record_bytes": len(json.dumps({**yubl, "__context__": {"x-correlation-id": "x" * 36}})),
        "feed_item_bytes": _item_bytes({**yubl, "user_id": "u000000"}),
        "message_envelope_bytes": envelope_bytes,
        "follower_bytes": round(sum(len(f) + 3 for f in followers) / max(1, len(followers))),
        "relationship_bytes": sum(
            _item_bytes({"user_id": a, "follower_id": f})
            for a in graph.posts
            for f in graph.followers[a]
        ),
    }


def run(
    settings: BenchSettings,
    run_dir: Path,
    progress: Progress = _say,
    tradeoff_settings: TradeoffSettings | None = None,
) -> dict[str, Any]:
    """The whole benchmark; returns the JSON object (also written to ``run_dir``).
    With ``tradeoff_settings``, the celebrity trade-off too (``tradeoff.py``)."""
    graph = build_graph(settings)
    progress(
        f"graph: {len(graph.followers)} authors, {len(graph.posts)} posts, "
        f"{graph.entries:,} feed entries to write"
    )
    with set_up(settings, graph, run_dir, progress) as setup:
        measured = _measure(setup, settings, tradeoff_settings, progress)
    wall_seconds = round(time.monotonic() - setup.started, 1)
    result = _report(setup, measured, settings)
    result["wall_seconds"] = wall_seconds
    result["run_dir"] = str(run_dir)
    result["date"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    _save(run_dir, result, measured.optimised, measured.naive)
    return result


def _save(run_dir: Path, result: dict[str, Any], *observed: Observed | None) -> None:
    (run_dir / "bench.json").write_text(json.dumps(result, indent=2) + "\n")
    samples = {
        o.name: {
            "posted_at": o.log.posted_at,
            "written": [[y, f, t] for (y, f), t in o.log.written.items()],
        }
        for o in observed
        if o is not None
    }
    (run_dir / "samples.json").write_text(json.dumps(samples))


def main() -> int:
    settings = BenchSettings.from_environ()
    results = Path(os.environ.get("BENCH_RESULTS_DIR") or LOADTESTS_DIR / "results")
    run_dir = results / f"bench-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}"
    run_dir.mkdir(parents=True, exist_ok=True)
    result = run(settings, run_dir, tradeoff_settings=TradeoffSettings.from_environ())
    found = costs(result, load_pricing())
    result["usd_per_million_posts"] = found
    (run_dir / "bench.json").write_text(json.dumps(result, indent=2) + "\n")
    for path in plot_run(run_dir):
        _say(f"plot: {path}")
    _say(f"cost, prices of {found['pricing_as_of']} (loadtests/pricing.json):")
    print(table(found), flush=True)
    if result["entry_write_units"] is not None:
        _say("write units per feed entry, text in the entry (before) and reference (now):")
        print(summary(result["entry_write_units"]), flush=True)
    for line in report_lines(result):
        _say(line)
    print(json.dumps(result, separators=(",", ":")), flush=True)
    return 0 if result["complete"] and (result["naive"] or {"complete": True})["complete"] else 1


if __name__ == "__main__":
    sys.exit(main())
