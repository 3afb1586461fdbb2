"""Accounts: who exists (a users row per confirmed account), and the ``user-deleted`` event.

A row is written when an account is confirmed, whatever the path (the sign-up trigger,
``make user`` and the backfill, the sign-in middleware on a first request), always with
the same condition: inserted if absent, so ``created_at`` is the first writer's and a
deleted account never turns active again. A deleted account keeps its row, status
``deleted``, for good: it is how its id stays refused.

``user-deleted`` goes on the posts' stream with the user as partition key, so it is read
after every post and follow that user made before it. There is one per account ever: its
event id is its type and the user, the same on every repeat of the DELETE.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypedDict

from .errors import InvalidInput
from .posts import DEFAULT_MAX_CLOCK_SKEW, check_posted_at
from .validation import check_envelope, check_user_id

__all__ = [
    "ACTIVE",
    "DELETED",
    "USER_DELETED",
    "Account",
    "UserDeleted",
    "UserDeletedEvent",
    "parse_user_deleted",
    "parse_user_deleted_message",
    "user_deleted_event",
    "user_deleted_message",
]

ACTIVE = "active"
DELETED = "deleted"
USER_DELETED = "user-deleted"


@dataclass(frozen=True)
class Account:
    """A users row: ``deleted_at`` is set once, with ``status`` deleted; ``erased_at`` once
    everything the deletion removes is gone."""

    user_id: str
    created_at: str  # ISO 8601, UTC, milliseconds
    status: str = ACTIVE
    deleted_at: str | None = None
    erased_at: str | None = None

    @property
    def active(self) -> bool:
        return self.status == ACTIVE


class UserDeletedWire(TypedDict):
    user_id: str
    deleted_at: str


class UserDeletedEvent(TypedDict):
    type: str
    user: UserDeletedWire


class UserDeletedMessage(TypedDict):
    """What the accounts group receives: the event once, with its id."""

    type: str
    event_id: str
    user: UserDeletedWire


@dataclass(frozen=True)
class UserDeleted:
    user_id: str
    deleted_at: str  # ISO 8601, UTC, milliseconds: the account's, the same on every repeat

    @property
    def event_id(self) -> str:
        return f"{USER_DELETED}:{self.user_id}"


def user_deleted_event(deleted: UserDeleted) -> UserDeletedEvent:
    return UserDeletedEvent(
        type=USER_DELETED,
        user=UserDeletedWire(user_id=deleted.user_id, deleted_at=deleted.deleted_at),
    )


def parse_user_deleted(
    payload: Any, now: datetime, max_skew: timedelta = DEFAULT_MAX_CLOCK_SKEW
) -> UserDeleted:
    """The deletion inside a ``user-deleted`` event, checked like HTTP input."""
    wire = check_envelope(payload, (USER_DELETED,)).get("user")
    if not isinstance(wire, dict):
        raise InvalidInput("user", "must be an object")
    return UserDeleted(
        user_id=check_user_id("user.user_id", wire.get("user_id")),
        deleted_at=check_posted_at("user.deleted_at", wire.get("deleted_at"), now, max_skew),
    )


def user_deleted_message(deleted: UserDeleted) -> UserDeletedMessage:
    event = user_deleted_event(deleted)
    return UserDeletedMessage(type=USER_DELETED, event_id=deleted.event_id, user=event["user"])


def parse_user_deleted_message(
    payload: Any, now: datetime, max_skew: timedelta = DEFAULT_MAX_CLOCK_SKEW
) -> UserDeleted:
    """The deletion of an accounts-group message, its ``event_id`` checked too."""
    deleted = parse_user_deleted(payload, now, max_skew)
    given = payload.get("event_id")
    if given != deleted.event_id:
        raise InvalidInput("event_id", f"must be {deleted.event_id!r}, got {given!r:.80}")
    return deleted
