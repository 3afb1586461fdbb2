"""Write units per feed entry, before and after feed entries became references.

Writes ``entries`` feed entries of one post for each post length, twice: the way the
product does now (references through ``DynamoFeedStore``: user, yubl id, author,
posted_at) and in the old shape, the text in every entry (user_id, yubl_id, author_id,
text, posted_at; sent as BatchWriteItem on the same table). Also the post itself, stored
once through ``DynamoPostStore``. Units come from the items on the wire
(``capacity.CapacityMeter``, DynamoDB's rules). Lengths are in characters: ASCII
``x`` text, and the same lengths of ``é`` (2 bytes in UTF-8), since DynamoDB bills bytes.

``make bench`` runs it inside its stack; ``make bench-entries`` runs it alone on a fresh
emulator (``BENCH_ENTRY_UNITS_ENTRIES`` entries per shape and length, default 50).
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any

import boto3

from chalicelib.adapters.batch_writes import write_all
from chalicelib.adapters.dynamodb_models import bind_feed_model, bind_post_model
from chalicelib.adapters.dynamodb_stores import DynamoFeedStore, DynamoPostStore
from chalicelib.domain.feed import entries_for
from chalicelib.domain.posts import Yubl, new_yubl
from chalicelib.settings_catalog import read_int

from .capacity import CapacityMeter
from .tradeoff import local_stage_environment, on_fresh_emulator

__all__ = ["LENGTHS", "MULTIBYTE", "measure_entry_units", "summary"]

LENGTHS = (100, 2_000)
MULTIBYTE = "é"  # 2 bytes in UTF-8
Progress = Callable[[str], None]


def _old_item(user_id: str, yubl: Yubl) -> dict[str, dict[str, str]]:
    """A feed entry as it was before references: the post's text in every entry."""
    return {
        "user_id": {"S": user_id},
        "yubl_id": {"S": yubl.yubl_id},
        "author_id": {"S": yubl.author_id},
        "text": {"S": yubl.text},
        "posted_at": {"S": yubl.posted_at},
    }


def _send(client: Any, table: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    requests = [{"PutRequest": {"Item": item}} for item in items]
    response = client.batch_write_item(RequestItems={table: requests})
    return [r["PutRequest"]["Item"] for r in response.get("UnprocessedItems", {}).get(table, [])]


def _units(meter: CapacityMeter, action: Callable[[], Any]) -> float:
    _, before = meter.snapshot()
    action()
    _, after = meter.snapshot()
    return after - before


def measure_entry_units(
    env: Mapping[str, str], progress: Progress, entries: int = 50
) -> dict[str, Any]:
    """Per length (and per length of multi-byte text): write units per entry in each
    shape, and of the post stored once; on the tables ``env`` names."""
    meter = CapacityMeter()
    feeds, posts = bind_feed_model(env["FEEDS_TABLE"]), bind_post_model(env["POSTS_TABLE"])
    for model in (feeds, posts):
        meter.attach(model._get_connection().connection.client)
    client = meter.attach(boto3.client("dynamodb"))
    send = partial(_send, client, env["FEEDS_TABLE"])
    author = f"entry-units-{uuid.uuid4().hex[:6]}"
    readers = [f"{author}-r{n:04d}" for n in range(entries)]
    now = datetime.now(UTC)
    figures: dict[str, Any] = {}
    for length in LENGTHS:
        for name, char in ((str(length), "x"), (f"{length}_multibyte", MULTIBYTE)):
            yubl = new_yubl(author, char * length, now=now)
            post = _units(meter, partial(DynamoPostStore(posts).put, yubl))
            reference = _units(
                meter, partial(DynamoFeedStore(feeds).put_entries, entries_for(yubl, readers))
            )
            old = _units(meter, partial(write_all, send, [_old_item(r, yubl) for r in readers]))
            figures[name] = {
                "text_in_entry": old / entries,
                "reference": reference / entries,
                "post_once": post,
            }
            progress(
                f"feed entry write units, {name.replace('_', ' ')} characters: "
                f"text in the entry {old / entries:g}, reference {reference / entries:g}"
            )
    return {
        **figures,
        "entries_per_shape": entries,
        "multibyte_character": f"{MULTIBYTE} (2 bytes in UTF-8)",
        "capacity_rules": "loadtests/capacity.py",
    }


def summary(found: Mapping[str, Any], lengths: Sequence[int] = LENGTHS) -> str:
    """The printed table: write units per feed entry, before and after."""
    lines = ["post length           text in entry  reference  post (once)"]
    for length in lengths:
        for name, label in ((str(length), "x"), (f"{length}_multibyte", MULTIBYTE)):
            row = found[name]
            lines.append(
                f"{length:>5,} chars of {label}     {row['text_in_entry']:>13g}"
                f"  {row['reference']:>9g}  {row['post_once']:>11g}"
            )
    return "\n".join(lines)


def main() -> int:
    """``make bench-entries``: a fresh emulator with the template, then this step."""
    entries = read_int(os.environ, "BENCH_ENTRY_UNITS_ENTRIES")

    def say(message: str) -> None:
        print(f"[bench] {message}", flush=True)

    result = on_fresh_emulator(
        lambda: measure_entry_units(local_stage_environment(), say, entries), say
    )
    print(summary(result), flush=True)
    result["date"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    print(json.dumps(result, separators=(",", ":"), ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
