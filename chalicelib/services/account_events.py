"""The dispatcher's side of accounts: ``user-deleted`` to its subscriber groups, and events
about a deleted account, under way when it was deleted, refused.

``user-deleted`` is published once to each group its type routes to (``ROUTING``: the
``accounts`` group, whose queue the deletion worker reads). A post or a follow of a
deleted account that reaches the dispatcher later (published before the deletion, or
re-driven from a queue) changes nothing: it is logged with its reason and dropped. That
costs one strongly consistent read of the users table per post and per follow, of the
one or two users it names; removals (deletes, unfollows) are never refused.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from ..domain.accounts import USER_DELETED, UserDeleted, parse_user_deleted, user_deleted_message
from ..domain.errors import PermanentFailure
from ..domain.posts import DEFAULT_MAX_CLOCK_SKEW, YUBL_POSTED
from ..domain.relationships_events import USER_FOLLOWED
from ..domain.routing import RoutingTable, Shape, routing_attributes
from .accounts import UserStore
from .ports import GroupPublisher

__all__ = ["LateEvents", "UserDeletedRouting"]


class UserDeletedRouting:
    def __init__(
        self,
        publisher: GroupPublisher,
        routing: RoutingTable,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        max_skew: timedelta = DEFAULT_MAX_CLOCK_SKEW,
    ) -> None:
        self._publisher = publisher
        self._routing = routing
        self._clock = clock
        self._max_skew = max_skew

    def route(self, event: Any) -> tuple[UserDeleted, tuple[str, ...]]:
        """Validate, then publish to every routed group; (the deletion, the groups)."""
        deleted = parse_user_deleted(event, now=self._clock(), max_skew=self._max_skew)
        groups = self._routing.groups_for(USER_DELETED)
        followers = [g.name for g in groups if g.shape is Shape.FOLLOWERS]
        if followers:
            raise PermanentFailure(
                f"{USER_DELETED} routes to follower-shaped group(s) {', '.join(followers)}: "
                "route it to event-shaped groups only"
            )
        message = json.dumps(user_deleted_message(deleted), separators=(",", ":"))
        for group in groups:
            attributes = routing_attributes(USER_DELETED, deleted.user_id, group.name)
            self._publisher.publish_batch(group.name, [message], attributes)
        return deleted, tuple(g.name for g in groups)


def _named(value: Any, *path: str) -> str | None:
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, str) else None


class LateEvents:
    def __init__(self, users: UserStore) -> None:
        self._users = users

    def refusal(self, event: Any) -> str | None:
        """Why ``event`` must change nothing (a post or follow naming a deleted account),
        or None. An event too malformed to name anyone is left to its handler's checks."""
        kind = event.get("type") if isinstance(event, dict) else None
        if kind == YUBL_POSTED:
            named = [("author", _named(event, "yubl", "author_id"))]
        elif kind == USER_FOLLOWED:
            named = [
                ("followed user", _named(event, "relationship", "user_id")),
                ("follower", _named(event, "relationship", "follower_id")),
            ]
        else:
            return None
        ids = [user for _, user in named if user is not None]
        if not ids:
            return None
        found = self._users.accounts(ids, consistent=True)
        for role, user in named:
            account = found.get(user or "")
            if account is not None and not account.active:
                return f"the {role} {user} deleted their account at {account.deleted_at}"
        return None
