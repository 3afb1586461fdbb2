"""The emulator's own BatchWriteItem rate for feed-shaped items: the limit of this machine.

Writes ``items`` feed entries into a fresh table with 1, 2, 4, ... client threads
(25 items a call, UnprocessedItems retried), and keeps the best rate. Same client as
the workers' default (a boto3 client with botocore's default configuration).
"""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3

__all__ = ["create_feed_table", "feed_entries", "measure_raw_rate", "write_batch"]


def create_feed_table(dynamodb: Any, name: str) -> str:
    """A table of the feeds table's key schema, paid per request."""
    dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "user_id", "AttributeType": "S"},
            {"AttributeName": "yubl_id", "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": "user_id", "KeyType": "HASH"},
            {"AttributeName": "yubl_id", "KeyType": "RANGE"},
        ],
    )
    return name


def feed_entries(n: int, text: str, first: int = 0) -> list[dict[str, Any]]:
    """BatchWriteItem put requests of ``n`` feed entries of one post, to followers
    ``first``, ``first + 1``, ..."""
    yubl = "1795447800123-9f2c4e1a0b3d"
    return [
        {
            "PutRequest": {
                "Item": {
                    "user_id": {"S": f"u{i:06d}"},
                    "yubl_id": {"S": yubl},
                    "author_id": {"S": "big-00"},
                    "text": {"S": text},
                    "posted_at": {"S": "2026-11-23T15:30:00.123Z"},
                }
            }
        }
        for i in range(first, first + n)
    ]


def write_batch(client: Any, table: str, batch: list[dict[str, Any]]) -> None:
    """One BatchWriteItem of ``batch``, its UnprocessedItems sent again until none is left."""
    pending = batch
    while pending:
        left = client.batch_write_item(RequestItems={table: pending}).get("UnprocessedItems", {})
        pending = left.get(table, [])


def _rate(items: int, threads: int, text: str) -> float:
    client = boto3.session.Session().client("dynamodb")
    table = create_feed_table(client, f"bench-raw-{uuid.uuid4().hex[:8]}")
    try:
        requests = feed_entries(items, text)
        batches = [requests[i : i + 25] for i in range(0, len(requests), 25)]
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(lambda b: write_batch(client, table, b), batches))
        return items / (time.perf_counter() - started)
    finally:
        client.delete_table(TableName=table)


def measure_raw_rate(items: int, thread_counts: tuple[int, ...], text: str) -> dict[str, Any]:
    """Entries/s per thread count and the best of them."""
    by_threads = {t: round(_rate(items, t, text), 1) for t in thread_counts}
    best = max(by_threads, key=lambda t: by_threads[t])
    return {"entries_per_s": by_threads[best], "threads": best, "by_threads": by_threads}
