"""What the subscriber groups receive for a ``yubl-deleted`` event.

The feed group gets a ``feed-remove`` message per group of the author's followers (as
it gets a ``feed-fanout`` message for a post); the event-shaped groups (notifications,
archive) get the delete once, with the users the post mentioned: the tombstone dropped
the text, so the mentions travel with the event.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any, TypedDict

from .deletes import YUBL_DELETED, YublDeleted, YublDeletedWire, parse_yubl_deleted
from .errors import InvalidInput
from .fanout import split_to_fit
from .mentions import MAX_MENTIONS
from .posts import DEFAULT_MAX_CLOCK_SKEW
from .routing import event_id
from .validation import check_envelope, check_user_id

__all__ = [
    "FEED_REMOVE",
    "DeleteEventMessage",
    "RemovalGroupMessage",
    "delete_event_message",
    "encode_removal_parts",
    "parse_delete_event_message",
    "parse_removal_message",
    "removal_message",
]

FEED_REMOVE = "feed-remove"


class RemovalGroupMessage(TypedDict):
    type: str
    yubl: YublDeletedWire
    followers: list[str]


class DeleteEventMessage(TypedDict):
    type: str
    event_id: str
    yubl: YublDeletedWire
    mentions: list[str]


def _wire(deleted: YublDeleted) -> YublDeletedWire:
    return YublDeletedWire(
        yubl_id=deleted.yubl_id, author_id=deleted.author_id, deleted_at=deleted.deleted_at
    )


def _dumps(message: Any) -> str:
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False)


def removal_message(deleted: YublDeleted, followers: list[str]) -> RemovalGroupMessage:
    """The decoded form of a feed-remove message (what a worker parks when it stops early)."""
    return RemovalGroupMessage(type=FEED_REMOVE, yubl=_wire(deleted), followers=followers)


def encode_removal_parts(deleted: YublDeleted, followers: list[str]) -> list[tuple[str, list[str]]]:
    """Feed-remove messages for a group of followers, within SNS's size limit."""
    return split_to_fit(followers, lambda chunk: _dumps(removal_message(deleted, chunk)))


def _parse_deleted(payload: dict[str, Any], now: datetime, max_skew: timedelta) -> YublDeleted:
    return parse_yubl_deleted(
        {"type": YUBL_DELETED, "yubl": payload.get("yubl")}, now=now, max_skew=max_skew
    )


def _user_ids(field: str, value: Any, most: int | None = None) -> list[str]:
    if not isinstance(value, list):
        raise InvalidInput(field, "must be a list")
    if most is not None and len(value) > most:
        raise InvalidInput(field, f"must hold at most {most} user ids, got {len(value)}")
    return [check_user_id(f"{field}[{i}]", user) for i, user in enumerate(value)]


def parse_removal_message(
    payload: Any, now: datetime, max_skew: timedelta = DEFAULT_MAX_CLOCK_SKEW
) -> tuple[YublDeleted, list[str]]:
    """The delete and followers of a feed-remove message; anything else is invalid input."""
    payload = check_envelope(payload, (FEED_REMOVE,), "message")
    followers = _user_ids("followers", payload.get("followers"))
    return _parse_deleted(payload, now, max_skew), followers


def delete_event_message(deleted: YublDeleted, mentions: list[str]) -> str:
    """What an event-shaped group receives for a delete: the event, its id, the mentions."""
    message = DeleteEventMessage(
        type=YUBL_DELETED,
        event_id=event_id(YUBL_DELETED, deleted),
        yubl=_wire(deleted),
        mentions=list(mentions),
    )
    return _dumps(message)


def parse_delete_event_message(
    payload: Any, now: datetime, max_skew: timedelta = DEFAULT_MAX_CLOCK_SKEW
) -> tuple[YublDeleted, str, list[str]]:
    """The delete, event id and mentioned users of a delete event message, checked whole."""
    if not isinstance(payload, dict):
        raise InvalidInput("event", "must be a JSON object")
    deleted = parse_yubl_deleted(payload, now=now, max_skew=max_skew)
    expected = event_id(YUBL_DELETED, deleted)
    if payload.get("event_id") != expected:
        raise InvalidInput("event_id", f"must be {expected!r}, got {payload.get('event_id')!r:.80}")
    mentions = _user_ids("mentions", payload.get("mentions"), MAX_MENTIONS)
    return deleted, expected, mentions
