"""``python -m ops.follower_counts``: set every author's follower count from the
relationships table, for relationships made before the authors table kept counts.

    python -m ops.follower_counts [--stage local] [--author ID ...]

Per author it reads the stored count, counts the relationships (a Query with
``Select=COUNT``), and writes the new count only if the stored one has not moved
meanwhile (a follow or unfollow that finished in between: the Query may be stale), and
tries that author again if it has. A follow still between its two writes (the
relationship, then the count) while an author is recounted can leave that count one
off: a second run settles it. Without ``--author`` every author in the relationships table
is recounted (one Scan of the keys). Prints one line per changed count and a summary.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

__all__ = ["authors", "main", "recount"]

PROJECT_DIR = Path(__file__).resolve().parent.parent
ATTEMPTS = 10


def authors(dynamodb: Any, relationships: str) -> Iterator[str]:
    """Every author with a follower, once each (a Scan of the table's keys)."""
    seen: set[str] = set()
    for page in dynamodb.get_paginator("scan").paginate(
        TableName=relationships, ProjectionExpression="user_id"
    ):
        for item in page["Items"]:
            author = item["user_id"]["S"]
            if author not in seen:
                seen.add(author)
                yield author


def _stored(dynamodb: Any, table: str, author: str) -> int | None:
    item = dynamodb.get_item(
        TableName=table, Key={"author_id": {"S": author}}, ConsistentRead=True
    ).get("Item")
    return None if item is None or "followers" not in item else int(item["followers"]["N"])


def _counted(dynamodb: Any, relationships: str, author: str) -> int:
    total = 0
    for page in dynamodb.get_paginator("query").paginate(
        TableName=relationships,
        KeyConditionExpression="user_id = :a",
        ExpressionAttributeValues={":a": {"S": author}},
        Select="COUNT",
        ConsistentRead=True,
    ):
        total += page["Count"]
    return total


def _set(dynamodb: Any, table: str, author: str, stored: int | None, count: int) -> bool:
    """Write ``count`` if the stored count is still ``stored``; False if it moved."""
    condition = "attribute_not_exists(followers)" if stored is None else "followers = :stored"
    values: dict[str, Any] = {":count": {"N": str(count)}}
    if stored is not None:
        values[":stored"] = {"N": str(stored)}
    try:
        dynamodb.update_item(
            TableName=table,
            Key={"author_id": {"S": author}},
            UpdateExpression="SET followers = :count",
            ConditionExpression=condition,
            ExpressionAttributeValues=values,
        )
    except ClientError as err:
        if err.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


def recount(
    dynamodb: Any,
    relationships: str,
    authors_table: str,
    ids: Iterable[str],
    say: Callable[[str], None] = print,
) -> dict[str, int]:
    """Recount each author; ``{"authors": n, "changed": m}``."""
    checked = changed = 0
    for author in ids:
        checked += 1
        for _ in range(ATTEMPTS):
            stored = _stored(dynamodb, authors_table, author)
            count = _counted(dynamodb, relationships, author)
            if stored == count:
                break
            if _set(dynamodb, authors_table, author, stored, count):
                changed += 1
                say(f"{author}: {stored or 0} -> {count}")
                break
        else:
            raise RuntimeError(f"{author}: the count kept moving over {ATTEMPTS} attempts")
    return {"authors": checked, "changed": changed}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.follower_counts", description=__doc__)
    parser.add_argument("--stage", default="local")
    parser.add_argument("--author", action="append", default=[], help="only these authors")
    args = parser.parse_args(argv)
    config = json.loads((PROJECT_DIR / ".chalice" / "config.json").read_text())
    if args.stage not in config["stages"]:
        raise SystemExit(f"no stage {args.stage!r} in .chalice/config.json")
    env = config["stages"][args.stage]["environment_variables"]
    dynamodb = boto3.client("dynamodb")
    relationships = env["RELATIONSHIPS_TABLE"]
    ids = args.author or authors(dynamodb, relationships)
    summary = recount(dynamodb, relationships, env["AUTHORS_TABLE"], ids)
    print(f"recounted {summary['authors']} authors, {summary['changed']} counts changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
