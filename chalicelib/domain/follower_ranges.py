"""Follower ranges: a large fan-out cut into slices of the author's follower index.

The dispatcher does not page through a million followers itself. It asks the index for
a boundary every ``range_size`` followers (a count, not the ids) and publishes one
message per range to the work topic; range workers then page their own range in
parallel and publish its follower-group messages. A range is ``(start_after, end]`` in
the relationships table's order (ascending follower id): ``start_after`` None starts at
the first follower, ``end`` None runs to the last one, so followers added while the
fan-out runs fall in some range, and the ranges of one plan never overlap.

The plan itself is work for a range worker too: the dispatcher publishes the first
followers of a large fan-out itself (its head) and hands the rest over as one
``follower-plan`` message (the followers after ``start_after``), so it never holds its
shard while the counting reads of a large author run.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NotRequired, TypedDict

from .deletes import YublDeletedWire
from .errors import InvalidInput
from .follower_fanout import FollowerFanout, parse_follower_fanout
from .posts import DEFAULT_MAX_CLOCK_SKEW, YublWire
from .validation import check_envelope, check_user_id

__all__ = [
    "FOLLOWER_PLAN",
    "FOLLOWER_RANGE",
    "PLAN_DONE",
    "FollowerRange",
    "FollowerRangeMessage",
    "RangeWork",
    "parse_range_message",
    "plan_message",
    "plan_progress_key",
    "range_message",
    "range_progress_key",
    "ranges_between",
]

FOLLOWER_RANGE = "follower-range"
FOLLOWER_PLAN = "follower-plan"
PLAN_DONE = "~"
"""The plan's progress once its last (open-ended) range is published: "~" sorts after
every user id ([A-Za-z0-9_-]), so the progress table's never-backwards rule holds."""


@dataclass(frozen=True)
class FollowerRange:
    """Followers with ``start_after < id <= end`` (an open side when None)."""

    start_after: str | None
    end: str | None

    def __post_init__(self) -> None:
        if self.start_after is not None and self.end is not None and self.start_after >= self.end:
            raise ValueError(f"empty range: start_after {self.start_after!r} >= end {self.end!r}")

    def contains(self, follower: str) -> bool:
        return (self.start_after is None or follower > self.start_after) and (
            self.end is None or follower <= self.end
        )


class FollowerRangeMessage(TypedDict):
    """What the work topic carries: one range of one event's fan-out to one group
    (``follower-range``), or the followers after ``start_after`` still to be cut into
    ranges (``follower-plan``, no ``end``)."""

    type: str
    event_type: str  # of the event fanned out: what ``yubl`` holds, the routing attributes
    group: str
    start_after: str | None
    end: NotRequired[str | None]
    yubl: YublWire | YublDeletedWire  # a post (yubl-posted), a delete (yubl-deleted)
    arrived_at: NotRequired[str]  # the post's arrival on the stream, passed on to the groups


def ranges_between(
    boundaries: Iterable[str], start_after: str | None = None
) -> Iterator[FollowerRange]:
    """Consecutive ranges ending at each boundary in turn, then one open-ended range.

    ``boundaries`` ascend (every ``range_size``-th follower id); ``start_after`` is where
    an earlier, interrupted plan stopped. The last range has no end: it takes whatever
    follows the last boundary, however many that is by the time a worker reads it.
    """
    after = start_after
    for boundary in boundaries:
        if after is not None and boundary <= after:
            raise ValueError(f"boundaries must ascend: {boundary!r} after {after!r}")
        yield FollowerRange(after, boundary)
        after = boundary
    yield FollowerRange(after, None)


@dataclass(frozen=True)
class RangeWork:
    """A parsed work-topic message: a range to publish, or (``plan``) the followers after
    ``range.start_after`` to cut into ranges first."""

    fanout: FollowerFanout
    group: str
    range: FollowerRange
    plan: bool = False

    @property
    def event_type(self) -> str:
        return self.fanout.event_type


def range_message(fanout: FollowerFanout, group: str, follower_range: FollowerRange) -> str:
    message = FollowerRangeMessage(
        type=FOLLOWER_RANGE,
        event_type=fanout.event_type,
        group=group,
        start_after=follower_range.start_after,
        end=follower_range.end,
        yubl=fanout.to_wire(),
    )
    return _dumps(message, fanout)


def plan_message(fanout: FollowerFanout, group: str, start_after: str | None) -> str:
    """The followers after ``start_after`` (the dispatcher's head), for a range worker to
    cut into ranges."""
    message = FollowerRangeMessage(
        type=FOLLOWER_PLAN,
        event_type=fanout.event_type,
        group=group,
        start_after=start_after,
        yubl=fanout.to_wire(),
    )
    return _dumps(message, fanout)


def _dumps(message: FollowerRangeMessage, fanout: FollowerFanout) -> str:
    if fanout.arrived_at is not None:
        message["arrived_at"] = fanout.arrived_at
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False)


def _bound(payload: dict[str, Any], field: str) -> str | None:
    value = payload.get(field)
    return None if value is None else check_user_id(field, value)


def parse_range_message(
    payload: Any, now: datetime | None = None, max_skew: timedelta = DEFAULT_MAX_CLOCK_SKEW
) -> RangeWork:
    """The work a work-topic message asks for; anything else is invalid input (that the
    event type routes to the group is checked against the routing by the service)."""
    kind = check_envelope(payload, (FOLLOWER_RANGE, FOLLOWER_PLAN), "message")["type"]
    if kind == FOLLOWER_PLAN and payload.get("end") is not None:
        raise InvalidInput("end", "a plan has no end: it runs to the last follower")
    event_type, group = payload.get("event_type"), payload.get("group")
    if not isinstance(event_type, str) or not event_type:
        raise InvalidInput("event_type", "must be the type of the event fanned out")
    if not isinstance(group, str) or not group:
        raise InvalidInput("group", "must be a subscriber group's name")
    start_after, end = _bound(payload, "start_after"), _bound(payload, "end")
    if start_after is not None and end is not None and start_after >= end:
        raise InvalidInput("end", f"must be greater than start_after {start_after!r}")
    fanout = parse_follower_fanout(
        event_type, payload.get("yubl"), now, max_skew, arrived_at=payload.get("arrived_at")
    )
    return RangeWork(fanout, group, FollowerRange(start_after, end), plan=kind == FOLLOWER_PLAN)


def plan_progress_key(group: str) -> str:
    """The fan-out progress item of a plan: the last boundary whose range was published."""
    return f"{group}#ranges"


def range_progress_key(group: str, follower_range: FollowerRange) -> str:
    """The fan-out progress item of one range: the last follower of it published. A range
    is named by its start, unique within one event's plan (ranges never overlap)."""
    return f"{group}#after#{follower_range.start_after or ''}"
