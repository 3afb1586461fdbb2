"""PNG plots of a benchmark run: post-to-feed latency over the run, entries written per
second, and the dispatcher's iterator age (the EMF ``IteratorAge`` its processor logs
per batch). Read from the run's ``samples.json`` and ``logs/stack.log``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt

__all__ = ["plot_run"]


def _iterator_ages(stack_log: Path, start: float) -> list[tuple[float, float]]:
    ages: list[tuple[float, float]] = []
    if not stack_log.exists():
        return ages
    for raw in stack_log.read_text(encoding="utf-8", errors="replace").splitlines():
        if '"IteratorAge"' not in raw:
            continue
        try:
            line = json.loads(raw)
        except ValueError:
            continue
        if line.get("function_name") != "distribute_yubl":
            continue
        at = line["_aws"]["Timestamp"] / 1000 - start
        if at >= 0:
            ages.extend((at, float(v)) for v in line["IteratorAge"])
    return ages


def plot_run(run_dir: Path) -> list[Path]:
    """Write the run's PNGs next to its bench.json; return their paths."""
    samples: dict[str, Any] = json.loads((run_dir / "samples.json").read_text())
    made: list[Path] = []
    fig, (lat, rate, age) = plt.subplots(3, 1, figsize=(9, 9), sharex=True)
    start_all = None
    for name, sample in samples.items():
        if not sample["written"]:
            continue
        start = min(sample["posted_at"].values())
        start_all = start if name == "optimised" else start_all
        points = sorted(
            (t - start, (t - sample["posted_at"][y]) * 1000) for y, _, t in sample["written"]
        )
        lat.plot([p[0] for p in points], [p[1] for p in points], ".", ms=2, label=name)
        seconds = int(points[-1][0]) + 1
        bins = [0] * seconds
        for t, _ in points:
            bins[min(seconds - 1, int(t))] += 1
        rate.plot(range(seconds), bins, drawstyle="steps-post", label=name)
    lat.set_ylabel("post to feed (ms)")
    lat.set_title("each feed entry, by when it was written")
    lat.legend()
    rate.set_ylabel("entries written / s")
    rate.legend()
    if start_all is not None:
        ages = _iterator_ages(run_dir / "logs" / "stack.log", start_all)
        age.plot([a[0] for a in ages], [a[1] for a in ages], "o-", ms=3)
    age.set_ylabel("dispatcher iterator age (ms)")
    age.set_xlabel("seconds since the first post (each variant its own)")
    fig.tight_layout()
    path = run_dir / "bench.png"
    fig.savefig(path, dpi=90)
    plt.close(fig)
    made.append(path)
    return made
