"""Fan-out planning: followers into groups, groups into SNS messages and batches.

SNS limits shape the plan: a message and a whole PublishBatch call may each carry
at most 256 KiB (message attributes included), and a batch at most 10 entries.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any, TypedDict

from .errors import InvalidInput
from .posts import DEFAULT_MAX_CLOCK_SKEW, Yubl, YublWire, parse_yubl
from .validation import check_user_id

__all__ = [
    "ATTRIBUTE_ALLOWANCE",
    "FEED_FANOUT",
    "MAX_BATCH_ENTRIES",
    "MAX_PAYLOAD_BYTES",
    "FollowerGroupMessage",
    "encode_group",
    "encode_group_parts",
    "follower_groups",
    "group_message",
    "pack_batches",
    "parse_group_message",
    "split_to_fit",
]

FEED_FANOUT = "feed-fanout"
MAX_PAYLOAD_BYTES = 262_144
MAX_BATCH_ENTRIES = 10
# Room kept per message for its attributes (correlation ids travel there).
ATTRIBUTE_ALLOWANCE = 2_048


class FollowerGroupMessage(TypedDict):
    type: str
    yubl: YublWire
    followers: list[str]


def follower_groups(pages: Iterable[Sequence[str]], size: int) -> Iterator[list[str]]:
    """Regroup pages of followers (any size) into groups of ``size``; the last may be short."""
    if size < 1:
        raise ValueError("group size must be at least 1")
    group: list[str] = []
    for page in pages:
        for follower in page:
            group.append(follower)
            if len(group) == size:
                yield group
                group = []
    if group:
        yield group


def _encode(yubl: Yubl, followers: list[str]) -> str:
    return json.dumps(group_message(yubl, followers), separators=(",", ":"), ensure_ascii=False)


def encode_group(
    yubl: Yubl, followers: list[str], max_bytes: int = MAX_PAYLOAD_BYTES - ATTRIBUTE_ALLOWANCE
) -> list[str]:
    """One message for the group, or several if one would be larger than ``max_bytes``."""
    return [message for message, _ in encode_group_parts(yubl, followers, max_bytes)]


def encode_group_parts(
    yubl: Yubl, followers: list[str], max_bytes: int = MAX_PAYLOAD_BYTES - ATTRIBUTE_ALLOWANCE
) -> list[tuple[str, list[str]]]:
    """As ``encode_group``, each message with the followers it carries, in order."""
    return split_to_fit(followers, lambda chunk: _encode(yubl, chunk), max_bytes)


def split_to_fit(
    followers: list[str],
    encode: Callable[[list[str]], str],
    max_bytes: int = MAX_PAYLOAD_BYTES - ATTRIBUTE_ALLOWANCE,
) -> list[tuple[str, list[str]]]:
    """``encode(followers)`` as one message, or halved until each is within ``max_bytes``;
    each message with the followers it carries, in order."""
    body = encode(followers)
    if len(body.encode()) <= max_bytes:
        return [(body, followers)]
    if len(followers) == 1:
        raise ValueError(f"one follower's message is {len(body.encode())} bytes, over the limit")
    half = len(followers) // 2
    return split_to_fit(followers[:half], encode, max_bytes) + split_to_fit(
        followers[half:], encode, max_bytes
    )


def group_message(yubl: Yubl, followers: list[str]) -> FollowerGroupMessage:
    """The decoded form of a feed-fanout message (what a worker parks when it stops early)."""
    return FollowerGroupMessage(type=FEED_FANOUT, yubl=yubl.to_wire(), followers=followers)


def pack_batches(
    messages: Iterable[str],
    max_entries: int = MAX_BATCH_ENTRIES,
    max_bytes: int = MAX_PAYLOAD_BYTES,
    allowance: int = ATTRIBUTE_ALLOWANCE,
) -> Iterator[list[str]]:
    """Pack messages, in order, into batches within the entry and aggregate-size limits."""
    batch: list[str] = []
    size = 0
    for message in messages:
        cost = len(message.encode()) + allowance
        if batch and (len(batch) == max_entries or size + cost > max_bytes):
            yield batch
            batch, size = [], 0
        batch.append(message)
        size += cost
    if batch:
        yield batch


def parse_group_message(
    payload: Any, now: datetime | None = None, max_skew: timedelta = DEFAULT_MAX_CLOCK_SKEW
) -> tuple[Yubl, list[str]]:
    """The yubl and followers of a feed-fanout message; anything else is invalid input."""
    if not isinstance(payload, dict):
        raise InvalidInput("message", "must be a JSON object")
    if payload.get("type") != FEED_FANOUT:
        raise InvalidInput("type", f"must be {FEED_FANOUT!r}, got {payload.get('type')!r}")
    followers = payload.get("followers")
    if not isinstance(followers, list):
        raise InvalidInput("followers", "must be a list")
    checked = [check_user_id(f"followers[{i}]", f) for i, f in enumerate(followers)]
    return parse_yubl(payload.get("yubl"), now=now, max_skew=max_skew), checked
