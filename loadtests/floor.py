"""The fewest write-path calls the AWS batch limits allow for a set of posts.

A reference to compare counted calls with, computed from the posts' follower lists
alone: one PutRecord per post (the posts API accepts one post a request), DynamoDB
Query pages of at most 1 MB of items, SNS PublishBatch calls of at most 10 messages
and 256 KiB in all (each message at most 256 KiB), BatchWriteItem calls of at most
25 items. A post's feed entries are written by its own messages, so the BatchWriteItem
floor is taken per post. Each subscriber group that gets the event once (notifications,
archive) costs one more PublishBatch per post. When the workers skip inactive followers
(``PostShape.writes``), only the active ones' entries are written, and every follower is
looked up, 100 keys a BatchGetItem. Two questions every post with followers must ask
once: who mutes its author (one Query of the mutes' ``muted_by`` index), and, per feed
message that wrote entries, whether the post was deleted meanwhile (one consistent
GetItem of its tombstone; the fewest messages are those SNS's 256 KiB allows).
Bookkeeping calls (the dispatcher's progress item) are not part of the floor: they are
the price of resuming a retried post. ``floor_formula`` states all of it as text.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "BATCH_GET_KEYS",
    "BATCH_WRITE_ITEMS",
    "PUBLISH_BATCH_BYTES",
    "PUBLISH_BATCH_ENTRIES",
    "QUERY_PAGE_BYTES",
    "PostShape",
    "floor_formula",
    "post_floor",
    "run_floor",
]

QUERY_PAGE_BYTES = 1024 * 1024
PUBLISH_BATCH_ENTRIES = 10
PUBLISH_BATCH_BYTES = 262_144
BATCH_WRITE_ITEMS = 25
BATCH_GET_KEYS = 100


@dataclass(frozen=True)
class PostShape:
    """What the floor needs of one post: its author, followers, the group envelope
    (the bytes of a feed-fanout message with no followers in it) and how many other
    subscriber groups its event type routes to."""

    author_id: str
    followers: Sequence[str]
    envelope_bytes: int
    event_groups: int = 0
    writes: int | None = None  # entries written, when inactive followers are skipped


def _relationship_item_bytes(author_id: str, follower_id: str) -> int:
    # DynamoDB item size: attribute names plus values, UTF-8
    return (
        len(b"user_id") + len(author_id.encode()) + len(b"follower_id") + len(follower_id.encode())
    )


def _publish_batches(followers: Sequence[str], envelope_bytes: int) -> int:
    if not followers:
        return 0
    # each follower costs its JSON string and a comma in some message's list
    follower_bytes = sum(len(json.dumps(f, ensure_ascii=False).encode()) + 1 for f in followers)
    room = PUBLISH_BATCH_BYTES - envelope_bytes
    return max(1, math.ceil(follower_bytes / room))


def post_floor(post: PostShape) -> dict[str, int]:
    """Fewest calls per operation for one post (operations with none left out)."""
    n = len(post.followers)
    written = n if post.writes is None else post.writes
    query_bytes = sum(_relationship_item_bytes(post.author_id, f) for f in post.followers)
    messages = _publish_batches(post.followers, post.envelope_bytes)
    calls = {
        "PutRecord": 1,
        # the relationships' pages, and the author's muters once (a post with followers)
        "Query": max(1, math.ceil(query_bytes / QUERY_PAGE_BYTES)) + (1 if n else 0),
        "PublishBatch": messages + post.event_groups,
        "BatchWriteItem": math.ceil(written / BATCH_WRITE_ITEMS),
        # skipping inactive followers looks every follower up, 100 keys a BatchGetItem
        "BatchGetItem": 0 if post.writes is None else math.ceil(n / BATCH_GET_KEYS),
        # the tombstone, once per feed message that wrote entries: as many messages as
        # PublishBatch calls at the limits (one message of up to 256 KiB a call)
        "GetItem": messages if written else 0,
    }
    return {op: count for op, count in calls.items() if count}


def floor_formula() -> str:
    """The floor's formula, per post, as text (``make bench`` prints it)."""
    return "\n".join(
        [
            "per post with n followers, w of them written to (n without inactive skipping),",
            "m = ceil(follower ids' JSON bytes / (256 KiB - the message envelope)):",
            "  PutRecord       1",
            "  Query           ceil(relationship items' bytes / 1 MiB) + (1 if n > 0: the muters)",
            "  PublishBatch    m + one per event-shaped group (notifications, archive)",
            "  BatchWriteItem  ceil(w / 25)",
            "  BatchGetItem    ceil(n / 100) when inactive followers are skipped, else 0",
            "  GetItem         m if w > 0 (the tombstone, once per feed message), else 0",
            "bookkeeping (progress items, plan and range messages) is not part of it",
        ]
    )


def run_floor(posts: Iterable[PostShape]) -> dict[str, int]:
    """Fewest calls per operation for a whole run."""
    total: dict[str, int] = {}
    for post in posts:
        for op, count in post_floor(post).items():
            total[op] = total.get(op, 0) + count
    return total
