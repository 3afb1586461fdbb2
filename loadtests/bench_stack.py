"""The set-up phase of ``make bench``: a fresh local stack on free ports whose API and
runtime processes count their AWS calls, the follower graph seeded, the emulator's raw
BatchWriteItem rate measured, and the inactive followers' last reads seeded.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3

from devstack.cores import pinned, plan
from devstack.emulator import free_port
from devstack.stack import PROJECT_DIR, LocalStack

from .counting import plugin_environment
from .graph import BenchSettings, FollowerGraph
from .inactive import choose_inactive, seed_activity
from .raw_rate import measure_raw_rate

__all__ = ["SMALL_POST_SETTING", "BenchStack", "Progress", "Setup", "set_up", "stage_setting"]

Progress = Callable[[str], None]
SMALL_POST_SETTING = "FANOUT_PRIORITY_MAX_FOLLOWERS"  # the most followers of a small post


@dataclass
class BenchStack(LocalStack):
    """The local stack whose child processes count their AWS calls."""

    extra_env: dict[str, str] = field(default_factory=dict)

    def environment(self) -> dict[str, str]:
        return {**super().environment(), **self.extra_env}

    def processes(self) -> dict[str, int]:
        """The pids of the emulator, the event runtime and the HTTP API, by name."""
        assert self.emulator is not None
        names = {c.name: c.process.pid for c in self.children}
        return {"emulator": self.emulator.process.pid, **names}


def stage_setting(name: str, given: str | None, default: int) -> int:
    """An integer setting of the local stage: ``given`` (its environment variable, read
    by the caller by name), else the local stage's value in ``.chalice/config.json``, else
    ``default``."""
    config = json.loads((PROJECT_DIR / ".chalice" / "config.json").read_text())
    stage = {
        **config["environment_variables"],
        **config["stages"]["local"]["environment_variables"],
    }
    return int(given or stage.get(name) or default)


@dataclass
class Setup:
    """What the measured runs start from."""

    stack: BenchStack
    graph: FollowerGraph
    counts_dir: Path
    raw: dict[str, Any] | None  # raw_rate.measure_raw_rate's figures, None when skipped
    inactive: set[str]
    inactive_percent: int  # the share chosen: 0 when FANOUT_ACTIVE_DAYS is 0
    small_max_followers: int
    looks_up: bool = True  # the workers look followers up: False when FANOUT_ACTIVE_DAYS is 0
    started: float = field(default_factory=time.monotonic)

    @property
    def raw_entries_per_s(self) -> float | None:
        return self.raw["entries_per_s"] if self.raw else None


def _seed(graph: FollowerGraph, table: str, progress: Progress) -> None:
    rows = [(a, f) for a, followers in graph.followers.items() for f in followers]
    with boto3.resource("dynamodb").Table(table).batch_writer() as writer:
        for i, (author, follower) in enumerate(rows, 1):
            writer.put_item(Item={"user_id": author, "follower_id": follower})
            if i % 5000 == 0:
                progress(f"seeding the follower graph: {i:,}/{len(rows):,} relationships")
    progress(f"seeded {len(rows):,} relationships of {len(graph.followers)} authors")


def _raw_rate(settings: BenchSettings, progress: Progress) -> dict[str, Any] | None:
    if not settings.raw_items:
        return None
    progress(f"raw BatchWriteItem rate: {settings.raw_items:,} items per thread count")
    raw = measure_raw_rate(settings.raw_items, settings.raw_threads, "x" * settings.text_bytes)
    progress(f"raw BatchWriteItem rate: {raw['by_threads']} entries/s by threads")
    return raw


@contextmanager
def set_up(
    settings: BenchSettings, graph: FollowerGraph, run_dir: Path, progress: Progress
) -> Iterator[Setup]:
    """The stack started and seeded; stopped on the way out, and ``os.environ`` (where
    the stack sets its SDK variables) put back as it was."""
    counts_dir = run_dir / "counts"
    stack = BenchStack(
        aws_port=free_port(),
        api_port=free_port(),
        echo=False,
        log_dir=run_dir / "logs",
        emulator_request_log=False,  # 15 % of the emulator's time (py-spy)
        cores=plan(),
    )
    stack.extra_env = {**plugin_environment(counts_dir), "DEBUG_LOG_SAMPLE_RATE": "0"}
    progress(f"starting a fresh local stack (logs in {stack.log_dir})")
    saved_environ = dict(os.environ)
    started = time.monotonic()
    stack.start()
    try:
        os.environ.pop("BOTOCORE_EXPERIMENTAL__PLUGINS", None)  # the driver counts by hand
        _seed(graph, os.environ.get("RELATIONSHIPS_TABLE") or "relationships-local", progress)
        # the raw loop's client threads on the callers' cores: the emulator's to itself
        with pinned(None if stack.cores is None else stack.cores.callers):
            raw = _raw_rate(settings, progress)
        active_days = stage_setting(
            "FANOUT_ACTIVE_DAYS", os.environ.get("FANOUT_ACTIVE_DAYS"), 30
        )  # 0: nobody is skipped
        share = settings.inactive_percent if active_days else 0
        inactive = choose_inactive(graph, share, settings.seed)
        seed_activity(
            os.environ.get("ACTIVITY_TABLE") or "activity-local",
            graph,
            inactive,
            active_days,
            datetime.now(UTC),
            progress,
        )
        yield Setup(
            stack=stack,
            graph=graph,
            counts_dir=counts_dir,
            raw=raw,
            inactive=inactive,
            inactive_percent=share,
            looks_up=bool(active_days),
            small_max_followers=stage_setting(
                SMALL_POST_SETTING, os.environ.get("FANOUT_PRIORITY_MAX_FOLLOWERS"), 1000
            ),
            started=started,
        )
    finally:
        stack.stop()
        os.environ.clear()
        os.environ.update(saved_environ)
