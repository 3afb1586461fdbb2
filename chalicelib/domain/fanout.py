"""Fan-out planning: followers into groups, groups into SNS messages and batches.

SNS limits shape the plan: a message and a whole PublishBatch call may each carry
at most 256 KiB (message attributes included), and a batch at most 10 entries.

A group message (``feed-fanout``) carries what its worker cannot know per follower:
the post, and (version 2) the followers already without the author's muters, as the
plan found them, and when the post's record reached the stream (``arrived_at``, what
freshness is measured from). A message without ``version`` (version 1, the shape of
messages parked before version 2) leaves the mutes to its worker.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NotRequired, TypedDict

from .errors import InvalidInput
from .posts import DEFAULT_MAX_CLOCK_SKEW, Yubl, YublWire, check_posted_at, parse_yubl
from .validation import check_envelope, check_user_id

__all__ = [
    "ATTRIBUTE_ALLOWANCE",
    "FEED_FANOUT",
    "GROUP_MESSAGE_VERSION",
    "MAX_BATCH_ENTRIES",
    "MAX_PAYLOAD_BYTES",
    "FollowerGroupMessage",
    "GroupMessage",
    "check_arrived_at",
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


GROUP_MESSAGE_VERSION = 2
"""Version 2: the followers exclude the author's muters (as the plan found them), and
``arrived_at`` may say when the post reached the stream."""


class FollowerGroupMessage(TypedDict):
    type: str
    version: NotRequired[int]  # absent: version 1, the worker filters the author's muters
    yubl: YublWire
    followers: list[str]
    arrived_at: NotRequired[str]  # the record's arrival on the stream, ISO 8601 UTC


@dataclass(frozen=True)
class GroupMessage:
    """A parsed feed-fanout message."""

    yubl: Yubl
    followers: list[str]
    version: int = GROUP_MESSAGE_VERSION
    arrived_at: str | None = None

    @property
    def muters_excluded(self) -> bool:
        """Whether the plan left the author's muters out (version 2)."""
        return self.version >= GROUP_MESSAGE_VERSION

    def rest(self, followers: list[str]) -> FollowerGroupMessage:
        """The same message for other followers (what a worker parks when it stops early)."""
        return group_message(self.yubl, followers, self.arrived_at, version=self.version)


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


def _encode(yubl: Yubl, followers: list[str], arrived_at: str | None) -> str:
    message = group_message(yubl, followers, arrived_at)
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False)


def encode_group(
    yubl: Yubl,
    followers: list[str],
    max_bytes: int = MAX_PAYLOAD_BYTES - ATTRIBUTE_ALLOWANCE,
    arrived_at: str | None = None,
) -> list[str]:
    """One message for the group, or several if one would be larger than ``max_bytes``."""
    parts = encode_group_parts(yubl, followers, max_bytes, arrived_at)
    return [message for message, _ in parts]


def encode_group_parts(
    yubl: Yubl,
    followers: list[str],
    max_bytes: int = MAX_PAYLOAD_BYTES - ATTRIBUTE_ALLOWANCE,
    arrived_at: str | None = None,
) -> list[tuple[str, list[str]]]:
    """As ``encode_group``, each message with the followers it carries, in order."""
    return split_to_fit(followers, lambda chunk: _encode(yubl, chunk, arrived_at), max_bytes)


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


def group_message(
    yubl: Yubl,
    followers: list[str],
    arrived_at: str | None = None,
    version: int = GROUP_MESSAGE_VERSION,
) -> FollowerGroupMessage:
    """The decoded form of a feed-fanout message; ``version`` 1 leaves ``version`` out, as
    the messages written before version 2 did."""
    message = FollowerGroupMessage(type=FEED_FANOUT)  # type: ignore[typeddict-item]
    if version != 1:
        message["version"] = version
    message["yubl"] = yubl.to_wire()
    message["followers"] = followers
    if arrived_at is not None:
        message["arrived_at"] = arrived_at
    return message


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


def check_arrived_at(
    field: str, value: Any, now: datetime, max_skew: timedelta = DEFAULT_MAX_CLOCK_SKEW
) -> str | None:
    """An optional arrival time: absent (None), or a UTC time no later than ``now`` plus
    the allowed clock skew, like ``posted_at``."""
    return None if value is None else check_posted_at(field, value, now, max_skew)


def parse_group_message(
    payload: Any, now: datetime | None = None, max_skew: timedelta = DEFAULT_MAX_CLOCK_SKEW
) -> GroupMessage:
    """A feed-fanout message of version 1 or 2, checked whole; anything else is invalid
    input."""
    payload = check_envelope(payload, (FEED_FANOUT,), "message")
    version = payload.get("version", 1)
    if version not in (1, GROUP_MESSAGE_VERSION) or isinstance(version, bool):
        raise InvalidInput("version", f"must be 1 or {GROUP_MESSAGE_VERSION}, got {version!r:.40}")
    followers = payload.get("followers")
    if not isinstance(followers, list):
        raise InvalidInput("followers", "must be a list")
    checked = [check_user_id(f"followers[{i}]", f) for i, f in enumerate(followers)]
    moment = now or datetime.now(UTC)
    yubl = parse_yubl(payload.get("yubl"), now=moment, max_skew=max_skew)
    arrived_at = check_arrived_at("arrived_at", payload.get("arrived_at"), moment, max_skew)
    return GroupMessage(yubl, checked, version, arrived_at)
