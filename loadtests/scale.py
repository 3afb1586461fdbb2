"""``make scale``: minutes and dollars for one post to N followers on AWS (default
1,000,000), from the stage's settings, AWS's published limits (``aws_limits.json``) and
the cost model (``cost.py``, ``pricing.json``).

Not a measurement: this machine's emulator says nothing about AWS's speed. The calls
each phase makes follow from the code, as ``docs/realtime.md`` describes it and the unit
and integration tests count it: the dispatcher publishes the first
``FANOUT_PRIORITY_MAX_FOLLOWERS`` followers itself (the head, groups of
``FOLLOWER_GROUP_SIZE``, on the bulk lane) and hands the rest over as one plan message;
a range worker cuts the rest into ranges of ``FANOUT_RANGE_SIZE`` by counting reads and
publishes a message per range, ten a PublishBatch; each range worker reads its range
(one page when ``FOLLOWER_PAGE_SIZE`` >= ``FANOUT_RANGE_SIZE``) and the author's muters,
and publishes groups of ``FANOUT_BULK_GROUP_SIZE``; each feed worker looks its followers
up (100 keys a BatchGetItem), writes them (25 a BatchWriteItem) and reads the tombstone
once. Their durations are the pricing table's assumed call times; the limits, and the
bulk lane's reserved concurrency, cap what runs in parallel. The dollars are the cost
model's, applied to a benchmark run's counted calls (the newest
``results/bench-*/bench.json`` or ``BENCH_RESULT``), scaled to N followers a post.
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .cost import latest_result, load_pricing, variant_cost
from .floor import BATCH_GET_KEYS, BATCH_WRITE_ITEMS, PUBLISH_BATCH_ENTRIES

__all__ = ["estimate", "main"]

LOADTESTS_DIR = Path(__file__).resolve().parent
LIMITS_PATH = LOADTESTS_DIR / "aws_limits.json"
CONFIG_PATH = LOADTESTS_DIR.parent / ".chalice" / "config.json"


def _settings(stage: str = "prod") -> dict[str, int]:
    config = json.loads(CONFIG_PATH.read_text())
    env = {**config["environment_variables"], **config["stages"][stage]["environment_variables"]}
    bulk = config["stages"][stage].get("lambda_functions", {}).get("add_to_feed", {})
    return {
        "head": int(env.get("FANOUT_PRIORITY_MAX_FOLLOWERS", 1_000)),
        "group_size": int(env.get("FOLLOWER_GROUP_SIZE", 500)),
        "bulk_group_size": int(env.get("FANOUT_BULK_GROUP_SIZE", 1_000)),
        "range_size": int(env.get("FANOUT_RANGE_SIZE", 10_000)),
        "page_size": int(env.get("FOLLOWER_PAGE_SIZE", 1_000)),
        "bulk_concurrency": int(bulk.get("reserved_concurrency", 1_000)),
    }


def _seconds(calls: Mapping[str, int], call_ms: Mapping[str, float]) -> float:
    return sum(n * call_ms[op] for op, n in calls.items()) / 1000


def _worker(followers: int, call_ms: Mapping[str, float]) -> tuple[dict[str, int], float]:
    """One feed worker's calls for a message of ``followers``, and their seconds."""
    calls = {
        "BatchGetItem": math.ceil(followers / BATCH_GET_KEYS),
        "BatchWriteItem": math.ceil(followers / BATCH_WRITE_ITEMS),
        "GetItem": 1,
    }
    return calls, _seconds(calls, call_ms)


def estimate(
    followers: int,
    settings: Mapping[str, int],
    limits: Mapping[str, Any],
    call_ms: Mapping[str, float],
) -> dict[str, Any]:
    """Seconds per phase of one post's fan-out, on a warm and on a new on-demand table."""
    g, b = settings["group_size"], settings["bulk_group_size"]
    r, p = settings["range_size"], settings["page_size"]
    head = min(followers, settings["head"])
    rest = followers - head
    ranges = math.ceil(rest / r)
    head_messages = math.ceil(head / g)
    range_messages = math.ceil(min(r, rest) / b)  # one full range's group messages
    bulk_messages = sum(math.ceil(min(r, rest - i * r) / b) for i in range(ranges))
    # the dispatcher: one Query page of the head, the muters once, the head's messages ten
    # a PublishBatch with a progress put after each, the plan handed over in one more
    dispatch_calls = {
        "Query": 2,
        "PublishBatch": math.ceil(head_messages / PUBLISH_BATCH_ENTRIES) + (1 if rest else 0),
        "PutItem": math.ceil(head_messages / PUBLISH_BATCH_ENTRIES),
    }
    # the plan (one range worker): a counting Query per range, the range messages ten a
    # PublishBatch with a progress put after each
    plan_batches = math.ceil(ranges / PUBLISH_BATCH_ENTRIES)
    plan_calls = {"Query": ranges, "PublishBatch": plan_batches, "PutItem": plan_batches}
    # one range worker (they run side by side, up to the account's concurrency)
    range_batches = math.ceil(range_messages / PUBLISH_BATCH_ENTRIES)
    range_calls = {"Query": 2 * math.ceil(min(r, rest) / p) if rest else 0}
    range_calls |= {"PublishBatch": range_batches, "PutItem": range_batches}
    range_waves = math.ceil(ranges / limits["lambda_concurrency"])
    range_s = range_waves * _seconds(range_calls, call_ms)
    # the feed workers: a large post's head and bulk messages share the bulk lane, whose
    # reserved concurrency caps the waves; a post within the head takes the priority lane
    head_calls, head_s = _worker(min(g, head), call_ms)
    bulk_calls, bulk_s = _worker(min(b, rest), call_ms)
    on_bulk_lane = head_messages + bulk_messages if rest else 0
    waves = math.ceil(on_bulk_lane / settings["bulk_concurrency"])
    concurrency_s = waves * max(head_s, bulk_s) if rest else head_s
    # the follower index of one author is one partition key: every read of it (the
    # counting reads, then the pages) is capped by that partition's read units
    read_units = 2 * followers * limits["relationship_item_bytes"] / 4096 * 0.5
    partition_read_s = read_units / limits["dynamodb_partition_read_units_per_s"]
    # each follower's feed is its own partition key: one write per partition per post,
    # so the table's write rate binds, not a partition's
    warm_s = followers / limits["dynamodb_table_write_units_per_s"]
    new_s = followers / limits["dynamodb_new_table_write_units_per_s"]
    dispatch_s, plan_s = _seconds(dispatch_calls, call_ms), _seconds(plan_calls, call_ms)
    base = dispatch_s + plan_s + range_s + partition_read_s
    return {
        "followers": followers,
        "settings": dict(settings),
        "ranges": ranges,
        "group_messages": {"head": head_messages, "bulk": bulk_messages},
        "dispatcher": {"calls": dispatch_calls, "seconds": round(dispatch_s, 3)},
        "plan": {"calls": plan_calls, "seconds": round(plan_s, 2)},
        "range_worker": {"calls": range_calls, "seconds": round(range_s, 2)},
        "feed_workers": {
            "head_message": head_calls,
            "bulk_message": bulk_calls,
            "bulk_waves": waves,
            "concurrency_seconds": round(concurrency_s, 2),
        },
        "feed_writes": {
            "write_units": followers,
            "warm_table_seconds": round(warm_s, 1),
            "new_table_seconds": round(new_s, 1),
        },
        "partition_read_seconds": round(partition_read_s, 2),
        "minutes_warm_table": round((base + max(warm_s, concurrency_s)) / 60, 2),
        "minutes_new_table": round((base + max(new_s, concurrency_s)) / 60, 2),
        "dispatcher_timeout_share": round(dispatch_s / limits["dispatcher_timeout_s"], 5),
    }


def main() -> int:
    followers = int(os.environ.get("SCALE_FOLLOWERS", "1000000"))
    limits = json.loads(LIMITS_PATH.read_text())["limits"]
    pricing = load_pricing()
    found = estimate(followers, _settings(), limits, pricing["assumptions"]["aws_call_ms"])
    path = Path(os.environ["BENCH_RESULT"]) if os.environ.get("BENCH_RESULT") else latest_result()
    result = json.loads(path.read_text())
    per_million_posts = variant_cost(result, pricing, naive=False, followers_per_post=followers)
    found["usd_per_post"] = round(per_million_posts["total"] / 1e6, 4)
    found["usd_per_post_by_item"] = {
        k: round(v / 1e6, 5) for k, v in per_million_posts.items() if k != "total"
    }
    found["cost_from"] = str(path)
    print(
        f"[scale] {followers:,} followers: {found['ranges']} ranges, "
        f"{found['group_messages']['head']:,} head and {found['group_messages']['bulk']:,} "
        "bulk group messages; "
        f"{found['minutes_warm_table']} min on a warm on-demand table, "
        f"{found['minutes_new_table']} min on a new one; ${found['usd_per_post']} a post "
        f"(cost model on {path.name} of {path.parent.name})"
    )
    print(json.dumps(found, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
