"""``make scale``: minutes and dollars for one post to N followers on AWS through the
follower ranges (default 1,000,000), from the stage's settings, AWS's published limits
(``aws_limits.json``) and the cost model (``cost.py``, ``pricing.json``).

Not a measurement: this machine's emulator says nothing about AWS's speed. The calls
each phase makes follow from the code (a counting Query per range boundary, one page
per range when ``FOLLOWER_PAGE_SIZE`` >= ``FANOUT_RANGE_SIZE``, ten messages a
PublishBatch, 25 entries a BatchWriteItem; the integration test counts them on the
emulator); their durations are the pricing table's assumed call times; the limits cap
what runs in parallel. The dollars are the cost model's, applied to a benchmark run's
counted calls (the newest ``results/bench-*/bench.json`` or ``BENCH_RESULT``), scaled to
N followers a post.
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

__all__ = ["estimate", "main"]

LOADTESTS_DIR = Path(__file__).resolve().parent
LIMITS_PATH = LOADTESTS_DIR / "aws_limits.json"
CONFIG_PATH = LOADTESTS_DIR.parent / ".chalice" / "config.json"


def _settings(stage: str = "prod") -> dict[str, int]:
    config = json.loads(CONFIG_PATH.read_text())
    env = {**config["environment_variables"], **config["stages"][stage]["environment_variables"]}
    return {
        "range_size": int(env.get("FANOUT_RANGE_SIZE", 10_000)),
        "group_size": int(env.get("FOLLOWER_GROUP_SIZE", 500)),
        "page_size": int(env.get("FOLLOWER_PAGE_SIZE", 1_000)),
    }


def estimate(
    followers: int,
    settings: Mapping[str, int],
    limits: Mapping[str, Any],
    call_ms: Mapping[str, float],
) -> dict[str, Any]:
    """Seconds per phase of one post's fan-out, on a warm and on a new on-demand table."""
    r, g, p = settings["range_size"], settings["group_size"], settings["page_size"]
    ranges = followers // r + 1
    messages = math.ceil(followers / g)
    # the dispatcher: a counting Query per boundary (plus the last), a PublishBatch of
    # ten ranges and a progress put after each
    plan_calls = {"Query": ranges, "PublishBatch": math.ceil(ranges / 10)}
    plan_calls["PutItem"] = plan_calls["PublishBatch"]
    plan_s = sum(n * call_ms[op] for op, n in plan_calls.items()) / 1000
    # one range worker (they run side by side, up to the concurrency limit)
    range_batches = math.ceil(math.ceil(r / g) / 10)
    range_calls = {"Query": math.ceil(r / p), "PublishBatch": range_batches}
    range_calls["PutItem"] = range_batches
    range_waves = math.ceil(ranges / limits["lambda_concurrency"])
    range_s = range_waves * sum(n * call_ms[op] for op, n in range_calls.items()) / 1000
    # add_to_feed: one entry is one write unit (a reference, well under 1 KB)
    worker_s = math.ceil(g / 25) * call_ms["BatchWriteItem"] / 1000
    concurrency_s = messages * worker_s / limits["lambda_concurrency"]
    # the follower index of one author is one partition key: every read of it (the
    # counting reads, then the pages) is capped by that partition's read units
    read_units = 2 * followers * limits["relationship_item_bytes"] / 4096 * 0.5
    partition_read_s = read_units / limits["dynamodb_partition_read_units_per_s"]
    # each follower's feed is its own partition key: one write per partition per post,
    # so the table's write rate binds, not a partition's
    warm_s = followers / limits["dynamodb_table_write_units_per_s"]
    new_s = followers / limits["dynamodb_new_table_write_units_per_s"]
    base = plan_s + range_s + partition_read_s
    return {
        "followers": followers,
        "settings": dict(settings),
        "ranges": ranges,
        "group_messages": messages,
        "plan": {"calls": plan_calls, "seconds": round(plan_s, 2)},
        "range_worker": {"calls": range_calls, "seconds": round(range_s, 2)},
        "feed_writes": {
            "write_units": followers,
            "concurrency_seconds": round(concurrency_s, 2),
            "warm_table_seconds": round(warm_s, 1),
            "new_table_seconds": round(new_s, 1),
        },
        "partition_read_seconds": round(partition_read_s, 2),
        "minutes_warm_table": round((base + max(warm_s, concurrency_s)) / 60, 2),
        "minutes_new_table": round((base + max(new_s, concurrency_s)) / 60, 2),
        "dispatcher_timeout_share": round(plan_s / limits["dispatcher_timeout_s"], 4),
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
        f"{found['group_messages']:,} group messages; "
        f"{found['minutes_warm_table']} min on a warm on-demand table, "
        f"{found['minutes_new_table']} min on a new one; ${found['usd_per_post']} a post "
        f"(cost model on {path.name} of {path.parent.name})"
    )
    print(json.dumps(found, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
