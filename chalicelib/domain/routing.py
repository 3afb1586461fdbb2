"""Subscriber groups: which groups an event type routes to, what each group receives,
and the message attributes SNS subscription filter policies read.

Groups are data, not code: the routing table, each group's topic and its message shape
come from settings. Adding a group is a declaration there plus a topic in the template.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypedDict

from .accounts import USER_DELETED
from .deletes import YUBL_DELETED, YublDeleted
from .errors import InvalidInput
from .posts import YUBL_POSTED, Yubl, YublWire

__all__ = [
    "AUTHOR_ID",
    "DEFAULT_ROUTES",
    "EVENT_TYPE",
    "GROUP",
    "ROUTING_ATTRIBUTES",
    "EventMessage",
    "RoutingTable",
    "Shape",
    "SubscriberGroup",
    "event_id",
    "event_message",
    "parse_event_message",
    "routing_attributes",
]

EVENT_TYPE = "event_type"
AUTHOR_ID = "author_id"
GROUP = "group"
ROUTING_ATTRIBUTES = (EVENT_TYPE, AUTHOR_ID, GROUP)
"""Message attributes every group message carries; the correlation ids share SNS's 10."""

DEFAULT_ROUTES: Mapping[str, tuple[str, ...]] = {
    YUBL_POSTED: ("feed", "notifications", "archive"),
    YUBL_DELETED: ("feed", "notifications", "archive"),
    USER_DELETED: ("accounts",),
}

_GROUP_NAME = re.compile(r"[a-z][a-z0-9-]{0,39}")
_EVENT_TYPE = re.compile(r"[a-z][a-z0-9-]{0,63}")


class Shape(StrEnum):
    """What a group's topic receives for one event."""

    FOLLOWERS = "followers"  # the event once per group of the author's followers (the feed)
    EVENT = "event"  # the event once


@dataclass(frozen=True)
class SubscriberGroup:
    name: str
    topic: str  # name or ARN
    shape: Shape = Shape.EVENT


class EventMessage(TypedDict):
    """What an event-shaped group receives: the event, with an id to drop repeats by."""

    type: str
    event_id: str
    yubl: YublWire


@dataclass(frozen=True)
class RoutingTable:
    """Event type -> the subscriber groups that receive it, in publishing order."""

    routes: Mapping[str, tuple[str, ...]]
    groups: Mapping[str, SubscriberGroup]

    @classmethod
    def declare(
        cls,
        routes: Mapping[str, Any],
        topics: Mapping[str, Any],
        follower_groups: frozenset[str] = frozenset({"feed"}),
    ) -> RoutingTable:
        """A table from settings; raises ValueError naming what is wrong in them."""
        checked: dict[str, tuple[str, ...]] = {}
        for event_type, names in routes.items():
            if not isinstance(event_type, str) or not _EVENT_TYPE.fullmatch(event_type):
                raise ValueError(f"routing: {event_type!r} is not an event type")
            if not isinstance(names, list | tuple) or not names:
                raise ValueError(f"routing: {event_type} must route to a list of groups")
            checked[event_type] = tuple(dict.fromkeys(str(n) for n in names))
        groups: dict[str, SubscriberGroup] = {}
        for name, topic in topics.items():
            if not _GROUP_NAME.fullmatch(str(name)):
                raise ValueError(f"group topics: {name!r} is not a group name ([a-z0-9-])")
            if not isinstance(topic, str) or not topic.strip():
                raise ValueError(f"group topics: group {name} needs a topic name or ARN")
            shape = Shape.FOLLOWERS if name in follower_groups else Shape.EVENT
            groups[name] = SubscriberGroup(name, topic, shape)
        for event_type, names in checked.items():
            missing = [n for n in names if n not in groups]
            if missing:
                raise ValueError(
                    f"routing: {event_type} routes to {', '.join(missing)} with no topic"
                )
        return cls(checked, groups)

    def groups_for(self, event_type: Any) -> tuple[SubscriberGroup, ...]:
        """The groups an event of this type goes to; an unrouted type is invalid input."""
        names = self.routes.get(event_type) if isinstance(event_type, str) else None
        if names is None:
            routed = ", ".join(sorted(self.routes)) or "none"
            raise InvalidInput("type", f"has no route: {event_type!r:.80} (routed: {routed})")
        return tuple(self.groups[name] for name in names)


def event_id(event_type: str, yubl: Yubl | YublDeleted) -> str:
    """The event's id, the same on every replay: its type and its subject."""
    return f"{event_type}:{yubl.yubl_id}"


def event_message(event_type: str, yubl: Yubl) -> str:
    message = EventMessage(
        type=event_type, event_id=event_id(event_type, yubl), yubl=yubl.to_wire()
    )
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False)


def parse_event_message(payload: Any, yubl: Yubl, event_type: str = YUBL_POSTED) -> str:
    """The ``event_id`` of an event message whose yubl was parsed as ``yubl``; it must be
    the id the dispatcher gives that event."""
    expected = event_id(event_type, yubl)
    given = payload.get("event_id") if isinstance(payload, dict) else None
    if given != expected:
        raise InvalidInput("event_id", f"must be {expected!r}, got {given!r:.80}")
    return expected


def routing_attributes(event_type: str, author_id: str, group: str) -> dict[str, str]:
    """The attributes a subscription's filter policy can match on."""
    return {EVENT_TYPE: event_type, AUTHOR_ID: author_id, GROUP: group}
