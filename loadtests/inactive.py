"""The benchmark's inactive followers: who they are, their seeded last reads, and the
writes the fan-out saved by skipping them.

A share of the graph's followers (``BENCH_INACTIVE_PERCENT``, default 60) is chosen with
the graph's seed and given a last read older than ``FANOUT_ACTIVE_DAYS``; the others read
this hour. The add_to_feed workers log ``skipped_inactive`` per follower group; the sum
over the run's posts is the measured saving, set beside what the graph says it must be.
Write units: a feed entry is a reference under 1 KB, one write unit each. The skip's
price: one BatchGetItem key per follower of every post, half a read unit each (an
eventually consistent read of an item under 4 KB), 100 keys a call.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import boto3

from chalicelib.domain.activity import read_hour

from .floor import BATCH_GET_KEYS, BATCH_WRITE_ITEMS
from .graph import FollowerGraph

__all__ = ["choose_inactive", "expected_entries", "logged_skips", "savings", "seed_activity"]


def choose_inactive(graph: FollowerGraph, percent: int, seed: int) -> set[str]:
    """``percent`` % of the graph's distinct followers, the same ones for the same seed."""
    everyone = sorted({f for followers in graph.followers.values() for f in followers})
    return set(random.Random(seed).sample(everyone, round(len(everyone) * percent / 100)))


def expected_entries(graph: FollowerGraph, inactive: set[str]) -> int:
    """Feed entries the run must write: one per post and active follower."""
    return sum(1 for a in graph.posts for f in graph.followers[a] if f not in inactive)


def seed_activity(
    table: str,
    graph: FollowerGraph,
    inactive: set[str],
    active_days: int,
    now: datetime,
    progress: Callable[[str], None],
) -> None:
    quiet = read_hour(now - timedelta(days=active_days + 10))
    recent = read_hour(now)
    everyone = sorted({f for followers in graph.followers.values() for f in followers})
    with boto3.resource("dynamodb").Table(table).batch_writer() as writer:
        for user in everyone:
            writer.put_item(
                Item={"user_id": user, "last_read_at": quiet if user in inactive else recent}
            )
    progress(
        f"seeded last reads: {len(inactive):,} of {len(everyone):,} followers inactive "
        f"(no read for {active_days + 10} days)"
    )


def logged_skips(log_path: Path, yubl_ids: set[str], offset: int = 0) -> int:
    """Followers the workers skipped for the run's posts, from their log lines."""
    skipped = 0
    with log_path.open("rb") as f:
        f.seek(offset)
        for raw in f:
            if b"skipped_inactive" not in raw:
                continue
            try:
                line = json.loads(raw)
            except ValueError:
                continue
            if line.get("message") == "feed entries written" and line.get("yubl_id") in yubl_ids:
                skipped += int(line.get("skipped_inactive") or 0)
    return skipped


def _groups(followers: Sequence[str], size: int) -> list[Sequence[str]]:
    return [followers[i : i + size] for i in range(0, len(followers), size)]


def savings(
    graph: FollowerGraph,
    inactive: set[str],
    percent: int,
    group_size: int,
    measured: Mapping[str, int],
    prices: Mapping[str, float],
    looks_up: bool = True,
) -> dict[str, Any]:
    """The figures: entries and calls with and without the skip, and their price.

    ``measured``: ``entries_written``, ``entries_skipped`` (the workers' log lines) and
    ``batch_write_calls``, ``batch_get_calls`` (counted in the stack's processes).
    Calls without the skip are worked out from the same follower groups. Without
    ``looks_up`` (``FANOUT_ACTIVE_DAYS=0``: the workers skip nobody and look nobody up)
    the lookups' calls, keys and price are none, not those a skip would cost.
    """
    groups = [g for a in graph.posts for g in _groups(graph.followers[a], group_size)]
    writes_all = sum(math.ceil(len(g) / BATCH_WRITE_ITEMS) for g in groups)
    writes_active = sum(
        math.ceil(sum(1 for f in g if f not in inactive) / BATCH_WRITE_ITEMS) for g in groups
    )
    keys = graph.entries if looks_up else 0
    lookups = sum(math.ceil(len(g) / BATCH_GET_KEYS) for g in groups) if looks_up else 0
    saved = graph.entries - expected_entries(graph, inactive)
    read_units = keys / 2
    wru_price = prices["dynamodb_per_million_write_request_units"] / 1e6
    rru_price = prices["dynamodb_per_million_read_request_units"] / 1e6
    posts = max(1, len(graph.posts))
    return {
        "inactive_percent": percent,
        "followers": len({f for fs in graph.followers.values() for f in fs}),
        "inactive_followers": len(inactive),
        "entries_without_skip": graph.entries,
        "entries_expected": graph.entries - saved,
        "entries_written": measured.get("entries_written", 0),
        "entries_skipped": measured.get("entries_skipped", 0),
        "write_units_saved": saved,
        "batch_write_calls": {
            "measured": measured.get("batch_write_calls", 0),
            "with_skip": writes_active,
            "without_skip": writes_all,
        },
        "activity_lookups": {
            "looks_up": looks_up,
            "batch_get_calls_measured": measured.get("batch_get_calls", 0),
            "batch_get_calls": lookups,
            "keys": keys,
            "read_units": read_units,
        },
        "usd_per_million_posts": {
            "writes_saved": round(saved * wru_price * 1e6 / posts, 2),
            "lookups_cost": round(read_units * rru_price * 1e6 / posts, 2),
            "net_saved": round((saved * wru_price - read_units * rru_price) * 1e6 / posts, 2),
        },
    }
