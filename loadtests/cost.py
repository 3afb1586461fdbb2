"""``make cost``: dollars per million posts, from a benchmark's counted calls and
the pricing table ``pricing.json`` (its date, sources and assumptions inside).

Per variant: Lambda requests and GB-seconds (dispatcher and worker invocations, each
lasting its AWS calls at the table's assumed latencies), Kinesis shard hours (at the
assumed posting rate) and PUT payload units, SNS publishes (64 KiB chunks; deliveries
to Lambda are free), SQS requests (parked records only: SNS invokes Lambda directly on
AWS), DynamoDB write units (feed entries and progress items) and read units (follower
pages and progress reads). Both variants are priced for the optimised run's followers
per post (the naive variant's per-entry costs scaled up to it). Reads the newest
``results/bench-*/bench.json``, or ``results/bench-reference.json`` (the run the README
quotes) when there is none.
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["PRICING_PATH", "load_pricing", "main", "variant_cost"]

LOADTESTS_DIR = Path(__file__).resolve().parent
PRICING_PATH = LOADTESTS_DIR / "pricing.json"
RESULTS_DIR = LOADTESTS_DIR / "results"
REFERENCE = RESULTS_DIR / "bench-reference.json"


def load_pricing(path: Path = PRICING_PATH) -> dict[str, Any]:
    return dict(json.loads(path.read_text()))


def _calls(figures: Mapping[str, Any]) -> dict[str, int]:
    return dict(figures["aws_requests"]["write_path"])


def _lambda_seconds(
    calls: Mapping[str, int], ops: tuple[str, ...], ms: Mapping[str, float]
) -> float:
    return sum(calls.get(op, 0) * ms.get(op, 0.0) for op in ops) / 1000


PER_POST_ITEMS = frozenset({"kinesis_shard_hours", "kinesis_put_units"})


def variant_cost(
    figures: Mapping[str, Any],
    pricing: Mapping[str, Any],
    naive: bool,
    followers_per_post: float | None = None,
) -> dict[str, float]:
    """Dollars per million posts by line item, and their ``total``.

    ``followers_per_post``: the distribution to price; other than the run's own, every
    item but the stream's scales with the entries (the naive variant runs a share of
    the posts, with fewer followers each)."""
    p, a = pricing["prices"], pricing["assumptions"]
    shape, calls = figures["shape"], _calls(figures)
    posts = figures["posts"]
    if not posts:
        return {"total": 0.0}
    ms, overhead = a["aws_call_ms"], a["invocation_overhead_ms"] / 1000
    memory = a["memory_mb"]
    dispatcher_mb = memory["naive_dispatcher" if naive else "dispatcher"]
    worker_mb = memory["naive_worker" if naive else "worker"]
    dispatcher_invocations = posts  # at most one a post (Kinesis batches may merge some)
    worker_invocations = shape["messages"]
    dispatcher_ops = ("Query", "Publish", "PublishBatch", "GetItem", "PutItem", "UpdateItem")
    worker_ops = ("BatchWriteItem",) if not naive else ("PutItem",)
    dispatcher_calls = dict(calls)
    if naive:
        dispatcher_calls["PutItem"] = 0  # the naive PutItems are the workers'
    gb_seconds = (
        _lambda_seconds(dispatcher_calls, dispatcher_ops, ms) + dispatcher_invocations * overhead
    ) * dispatcher_mb / 1024 + (
        _lambda_seconds(calls, worker_ops, ms) + worker_invocations * overhead
    ) * worker_mb / 1024
    shards = max(1, math.ceil(a["posts_per_second"] / a["kinesis_records_per_shard_per_second"]))
    shard_hours = shards * posts / a["posts_per_second"] / 3600
    put_units = posts * math.ceil(shape["record_bytes"] / p["kinesis_put_payload_unit_bytes"])
    publish_bytes = (
        shape["messages"] * shape["message_envelope_bytes"]
        + figures["feed_entries"] * shape["follower_bytes"]
    )
    publish_calls = calls.get("PublishBatch", 0) + calls.get("Publish", 0)
    sns_requests = max(publish_calls, math.ceil(publish_bytes / p["sns_publish_chunk_bytes"]))
    wru_per_entry = math.ceil(shape["feed_item_bytes"] / p["dynamodb_write_unit_bytes"])
    progress_writes = 0 if naive else calls.get("PutItem", 0) + calls.get("UpdateItem", 0)
    wru = figures["feed_entries"] * wru_per_entry + progress_writes
    # eventually consistent reads: half a unit per 4 KB, rounded up per page (per GetItem)
    query_pages = calls.get("Query", 0)
    rru = 0.5 * max(
        query_pages, math.ceil(shape["relationship_bytes"] / p["dynamodb_read_unit_bytes"])
    )
    rru += 0.5 * calls.get("GetItem", 0)
    per_run = {
        "lambda_requests": (dispatcher_invocations + worker_invocations)
        * p["lambda_per_million_requests"]
        / 1e6,
        "lambda_gb_seconds": gb_seconds * p["lambda_per_gb_second"],
        "kinesis_shard_hours": shard_hours * p["kinesis_per_shard_hour"],
        "kinesis_put_units": put_units * p["kinesis_per_million_put_payload_units"] / 1e6,
        "sns_publishes": sns_requests * p["sns_per_million_publishes"] / 1e6,
        "sns_deliveries": worker_invocations * p["sns_per_million_lambda_deliveries"] / 1e6,
        "sqs_requests": calls.get("SendMessage", 0) * p["sqs_per_million_requests"] / 1e6,
        "dynamodb_writes": wru * p["dynamodb_per_million_write_request_units"] / 1e6,
        "dynamodb_reads": rru * p["dynamodb_per_million_read_request_units"] / 1e6,
    }
    run_fpp = figures["feed_entries"] / posts
    entries_factor = (followers_per_post / run_fpp) if followers_per_post and run_fpp else 1.0
    scaled = {
        k: v * 1e6 / posts * (1.0 if k in PER_POST_ITEMS else entries_factor)
        for k, v in per_run.items()
    }
    cost = {k: round(v, 2) for k, v in scaled.items()}
    cost["total"] = round(sum(scaled.values()), 2)
    return cost


def costs(result: Mapping[str, Any], pricing: Mapping[str, Any]) -> dict[str, Any]:
    """Both variants' dollars per million posts for one benchmark result."""
    out: dict[str, Any] = {
        "pricing_as_of": pricing["as_of"],
        "followers_per_post": round(result["feed_entries"] / max(1, result["posts"]), 1),
        "optimised": variant_cost(result, pricing, naive=False),
    }
    if result.get("naive"):
        naive = result["naive"]
        fpp = result["feed_entries"] / max(1, result["posts"])
        out["naive"] = variant_cost(naive, pricing, naive=True, followers_per_post=fpp)
        out["naive_run_followers_per_post"] = round(
            naive["feed_entries"] / max(1, naive["posts"]), 1
        )
    return out


def table(found: Mapping[str, Any]) -> str:
    """A plain-text table of the line items, one column per variant."""
    variants = [v for v in ("optimised", "naive") if v in found]
    rows = [f"{'$ per million posts':<22}" + "".join(f"{v:>12}" for v in variants)]
    for item in found["optimised"]:
        rows.append(f"{item:<22}" + "".join(f"{found[v][item]:>12,.2f}" for v in variants))
    return "\n".join(rows)


def latest_result(results_dir: Path = RESULTS_DIR) -> Path:
    runs = sorted(p for p in results_dir.glob("bench-*/bench.json"))
    return runs[-1] if runs else REFERENCE


def main() -> int:
    path = Path(os.environ["BENCH_RESULT"]) if os.environ.get("BENCH_RESULT") else latest_result()
    if not path.exists():
        print(f"no benchmark result at {path}: run make bench first", file=sys.stderr)
        return 2
    result = json.loads(path.read_text())
    found = costs(result, load_pricing())
    print(f"[cost] from {path}; prices of {found['pricing_as_of']} ({PRICING_PATH.name})")
    print(table(found))
    print(json.dumps(found, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
