"""Follows and unfollows as events: ``user-followed`` and ``user-unfollowed``, published
on the posts' stream with the follower as partition key, so one follower's follow and
unfollow are read in the order they were made."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypedDict

from .errors import InvalidInput
from .posts import DEFAULT_MAX_CLOCK_SKEW, check_posted_at, iso_millis
from .validation import check_envelope, check_user_id

__all__ = [
    "RELATIONSHIP_EVENTS",
    "USER_FOLLOWED",
    "USER_UNFOLLOWED",
    "RelationshipChange",
    "parse_relationship_event",
    "relationship_change",
    "relationship_event",
]

USER_FOLLOWED = "user-followed"
USER_UNFOLLOWED = "user-unfollowed"
RELATIONSHIP_EVENTS = frozenset({USER_FOLLOWED, USER_UNFOLLOWED})


class RelationshipWire(TypedDict):
    user_id: str
    follower_id: str
    changed_at: str


class RelationshipEvent(TypedDict):
    type: str
    relationship: RelationshipWire


@dataclass(frozen=True)
class RelationshipChange:
    """``follower_id`` started (``user-followed``) or stopped following ``user_id``."""

    event_type: str
    user_id: str
    follower_id: str
    changed_at: str  # ISO 8601, UTC, millisecond precision

    @property
    def followed(self) -> bool:
        return self.event_type == USER_FOLLOWED


def relationship_change(
    event_type: str, user_id: str, follower_id: str, now: datetime
) -> RelationshipChange:
    """A change of a relationship the caller has already validated (the follow routes')."""
    if event_type not in RELATIONSHIP_EVENTS:
        raise ValueError(f"not a relationship event: {event_type!r}")
    return RelationshipChange(event_type, user_id, follower_id, iso_millis(now))


def relationship_event(change: RelationshipChange) -> RelationshipEvent:
    wire = RelationshipWire(
        user_id=change.user_id, follower_id=change.follower_id, changed_at=change.changed_at
    )
    return RelationshipEvent(type=change.event_type, relationship=wire)


def parse_relationship_event(
    payload: Any, now: datetime, max_skew: timedelta = DEFAULT_MAX_CLOCK_SKEW
) -> RelationshipChange:
    """The change inside a ``user-followed`` or ``user-unfollowed`` event, checked like
    HTTP input; anything else is invalid input naming the field."""
    payload = check_envelope(payload, sorted(RELATIONSHIP_EVENTS))
    event_type = payload["type"]
    wire = payload.get("relationship")
    if not isinstance(wire, dict):
        raise InvalidInput("relationship", "must be an object")
    user = check_user_id("relationship.user_id", wire.get("user_id"))
    follower = check_user_id("relationship.follower_id", wire.get("follower_id"))
    if user == follower:
        raise InvalidInput("relationship.follower_id", "a user cannot follow themselves")
    changed_at = check_posted_at("relationship.changed_at", wire.get("changed_at"), now, max_skew)
    return RelationshipChange(str(event_type), user, follower, changed_at)
