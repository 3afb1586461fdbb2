"""The event a follower-shaped group receives once per group of followers: a post
(``feed-fanout`` messages) or a delete (``feed-remove`` messages).

Both fan-out paths (the dispatcher's direct path and the range workers) take one of
these, so neither knows which kind of event it publishes: whose followers, under which
progress subject, encoded how, and the wire form a range message carries. The event
type is the discriminator of that wire form, as ``type`` is in a stream event.

``arrived_at`` (the post's record's arrival on the stream, when known) travels with the
event through every hop to the group messages, where freshness is measured from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from .delete_messages import encode_removal_parts
from .deletes import (
    YUBL_DELETED,
    YublDeleted,
    YublDeletedWire,
    parse_yubl_deleted,
    yubl_deleted_event,
)
from .errors import InvalidInput
from .fanout import check_arrived_at, encode_group_parts
from .posts import DEFAULT_MAX_CLOCK_SKEW, YUBL_POSTED, Yubl, YublWire, parse_yubl
from .routing import event_id

__all__ = ["FANNED_OUT_TYPES", "FollowerFanout", "parse_follower_fanout"]

FANNED_OUT_TYPES = (YUBL_POSTED, YUBL_DELETED)
"""The event types fanned out per group of followers."""


@dataclass(frozen=True)
class FollowerFanout:
    event: Yubl | YublDeleted
    arrived_at: str | None = None  # ISO 8601 UTC; None: not known (an old message)

    @property
    def event_type(self) -> str:
        return YUBL_DELETED if isinstance(self.event, YublDeleted) else YUBL_POSTED

    @property
    def author_id(self) -> str:
        return self.event.author_id

    @property
    def yubl_id(self) -> str:
        return self.event.yubl_id

    @property
    def leaves_out_muters(self) -> bool:
        """A post skips the author's muters; a delete reaches every follower, since an
        entry may be there from before the mute."""
        return isinstance(self.event, Yubl)

    @property
    def subject(self) -> str:
        """Where its fan-out progress is kept: a post's under its yubl id, a delete's under
        its event id, so the ranges of a delete never collide with those of its post."""
        if isinstance(self.event, YublDeleted):
            return event_id(YUBL_DELETED, self.event)
        return self.event.yubl_id

    def encode(self, followers: list[str]) -> list[tuple[str, list[str]]]:
        """The group messages for these followers, each with the followers it carries."""
        if isinstance(self.event, YublDeleted):
            return encode_removal_parts(self.event, followers)
        return encode_group_parts(self.event, followers, arrived_at=self.arrived_at)

    def to_wire(self) -> YublWire | YublDeletedWire:
        if isinstance(self.event, YublDeleted):
            return yubl_deleted_event(self.event)["yubl"]
        return self.event.to_wire()


def parse_follower_fanout(
    event_type: Any,
    wire: Any,
    now: datetime | None = None,
    max_skew: timedelta = DEFAULT_MAX_CLOCK_SKEW,
    arrived_at: Any = None,
) -> FollowerFanout:
    """The event of a given type from its wire form, checked like any queue input."""
    moment = now or datetime.now(UTC)
    arrival = check_arrived_at("arrived_at", arrived_at, moment, max_skew)
    if event_type == YUBL_DELETED:
        payload = {"type": YUBL_DELETED, "yubl": wire}
        deleted = parse_yubl_deleted(payload, now=moment, max_skew=max_skew)
        return FollowerFanout(deleted, arrival)
    if event_type == YUBL_POSTED:
        return FollowerFanout(parse_yubl(wire, now=moment, max_skew=max_skew), arrival)
    raise InvalidInput(
        "event_type", f"must be one of {', '.join(FANNED_OUT_TYPES)}, got {event_type!r:.60}"
    )
