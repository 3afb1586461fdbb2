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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "BATCH_GET_KEYS",
    "BATCH_WRITE_ITEMS",
    "PUBLISH_BATCH_BYTES",
    "PUBLISH_BATCH_ENTRIES",
    "QUERY_PAGE_BYTES",
    "TERMS",
    "PostShape",
    "Term",
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


def _queries(post: PostShape) -> int:
    """The relationships' pages, and the author's muters once (a post with followers)."""
    size = sum(_relationship_item_bytes(post.author_id, f) for f in post.followers)
    return max(1, math.ceil(size / QUERY_PAGE_BYTES)) + (1 if post.followers else 0)


def _group_messages(post: PostShape) -> int:
    """Feed messages at SNS's limits: one of up to 256 KiB per PublishBatch call."""
    if not post.followers:
        return 0
    # each follower costs its JSON string and a comma in some message's list
    size = sum(len(json.dumps(f, ensure_ascii=False).encode()) + 1 for f in post.followers)
    room = PUBLISH_BATCH_BYTES - post.envelope_bytes
    return max(1, math.ceil(size / room))


def _publish_batches(post: PostShape) -> int:
    return _group_messages(post) + post.event_groups


def _batch_writes(post: PostShape) -> int:
    written = len(post.followers) if post.writes is None else post.writes
    return math.ceil(written / BATCH_WRITE_ITEMS)


def _batch_gets(post: PostShape) -> int:
    # skipping inactive followers looks every follower up, 100 keys a BatchGetItem
    return 0 if post.writes is None else math.ceil(len(post.followers) / BATCH_GET_KEYS)


def _tombstone_reads(post: PostShape) -> int:
    """The tombstone, once per feed message that wrote entries."""
    written = len(post.followers) if post.writes is None else post.writes
    return _group_messages(post) if written else 0


@dataclass(frozen=True)
class Term:
    """One operation's part of a post's floor: its count, and the same rule in words."""

    operation: str
    rule: str
    count: Callable[[PostShape], int]


TERMS: tuple[Term, ...] = (
    Term("PutRecord", "1", lambda post: 1),
    Term(
        "Query",
        f"max(1, ceil(relationship item bytes / {QUERY_PAGE_BYTES:,}))"
        " + 1 for the author's muters (a post with followers)",
        _queries,
    ),
    Term(
        "PublishBatch",
        f"ceil(follower id bytes / ({PUBLISH_BATCH_BYTES:,} - envelope bytes))"
        " + one per other subscriber group",
        _publish_batches,
    ),
    Term("BatchWriteItem", f"ceil(entries written / {BATCH_WRITE_ITEMS})", _batch_writes),
    Term(
        "BatchGetItem",
        f"ceil(followers / {BATCH_GET_KEYS}) when inactive followers are skipped",
        _batch_gets,
    ),
    Term(
        "GetItem",
        "one per feed message at SNS's limits (the tombstone), when entries are written",
        _tombstone_reads,
    ),
)
"""The floor's terms: ``post_floor`` counts with them, ``floor_formula`` prints them."""


def post_floor(post: PostShape) -> dict[str, int]:
    """Fewest calls per operation for one post (operations with none left out)."""
    calls = {term.operation: term.count(post) for term in TERMS}
    return {op: count for op, count in calls.items() if count}


def floor_formula() -> str:
    """The floor of one post in words, one term per operation (``TERMS``); a run's
    floor is the sum over its posts."""
    return "per post: " + "; ".join(f"{term.operation} = {term.rule}" for term in TERMS)


def run_floor(posts: Iterable[PostShape]) -> dict[str, int]:
    """Fewest calls per operation for a whole run."""
    total: dict[str, int] = {}
    for post in posts:
        for op, count in post_floor(post).items():
            total[op] = total.get(op, 0) + count
    return total
