"""Deleting a yubl: the ``yubl-deleted`` event, published on the posts' stream with the
author as partition key, so it is ordered after the post it deletes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypedDict

from .errors import InvalidInput
from .posts import DEFAULT_MAX_CLOCK_SKEW, check_posted_at, check_yubl_id, iso_millis
from .validation import check_envelope, check_user_id

__all__ = [
    "YUBL_DELETED",
    "YublDeleted",
    "parse_yubl_deleted",
    "yubl_deleted",
    "yubl_deleted_event",
]

YUBL_DELETED = "yubl-deleted"


class YublDeletedWire(TypedDict):
    yubl_id: str
    author_id: str
    deleted_at: str


class YublDeletedEvent(TypedDict):
    type: str
    yubl: YublDeletedWire


@dataclass(frozen=True)
class YublDeleted:
    yubl_id: str
    author_id: str
    deleted_at: str  # ISO 8601, UTC, millisecond precision


def yubl_deleted(author_id: Any, yubl_id: Any, now: datetime) -> YublDeleted:
    """A delete request, validated (the path's fields named as the API names them)."""
    author = check_user_id("user_id", author_id)
    return YublDeleted(check_yubl_id("yubl_id", yubl_id), author, iso_millis(now))


def yubl_deleted_event(deleted: YublDeleted) -> YublDeletedEvent:
    wire = YublDeletedWire(
        yubl_id=deleted.yubl_id, author_id=deleted.author_id, deleted_at=deleted.deleted_at
    )
    return YublDeletedEvent(type=YUBL_DELETED, yubl=wire)


def parse_yubl_deleted(
    payload: Any, now: datetime, max_skew: timedelta = DEFAULT_MAX_CLOCK_SKEW
) -> YublDeleted:
    """The delete inside a ``yubl-deleted`` event, checked like HTTP input."""
    wire = check_envelope(payload, (YUBL_DELETED,)).get("yubl")
    if not isinstance(wire, dict):
        raise InvalidInput("yubl", "must be an object")
    return YublDeleted(
        yubl_id=check_yubl_id("yubl.yubl_id", wire.get("yubl_id")),
        author_id=check_user_id("yubl.author_id", wire.get("author_id")),
        deleted_at=check_posted_at("yubl.deleted_at", wire.get("deleted_at"), now, max_skew),
    )
