"""Who follows whom; each change is also announced on the stream."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ..domain.paging import Page
from ..domain.relationships_events import (
    USER_FOLLOWED,
    USER_UNFOLLOWED,
    relationship_change,
    relationship_event,
)
from ..domain.validation import check_distinct_users, check_user_id
from .accounts import UserStore, require_active
from .ports import EventPublisher, FollowerStore

__all__ = ["FollowingService"]


class FollowingService:
    def __init__(
        self,
        store: FollowerStore,
        events: EventPublisher,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        accounts: UserStore | None = None,
    ) -> None:
        self._store = store
        self._events = events
        self._clock = clock
        self._accounts = accounts  # None: every valid id is a user (tests without a table)

    def follow(self, user_id: Any, follower_id: Any) -> None:
        """Write the relationship, then announce it (``user-followed``): the backfill of
        the follower's feed happens downstream. A repeat writes and announces again.
        Both users must have an active account (``NotFound`` naming the field)."""
        user, follower = self._check(user_id, follower_id)
        if self._accounts is not None:
            require_active(self._accounts, {"user_id": user, "follower_id": follower})
        self._store.add(user, follower)
        self._announce(USER_FOLLOWED, user, follower)

    def unfollow(self, user_id: Any, follower_id: Any) -> None:
        """Delete the relationship, then announce it (``user-unfollowed``): the author's
        entries leave the follower's feed downstream."""
        user, follower = self._check(user_id, follower_id)
        self._store.remove(user, follower)
        self._announce(USER_UNFOLLOWED, user, follower)

    def _announce(self, event_type: str, user: str, follower: str) -> None:
        # keyed by follower: one follower's follows and unfollows are read in order
        change = relationship_change(event_type, user, follower, now=self._clock())
        self._events.publish(relationship_event(change), partition_key=follower)

    def followers(self, user_id: Any, limit: int, cursor: str | None) -> Page[str]:
        return self._store.page(check_user_id("user_id", user_id), limit, cursor)

    def following(self, user_id: Any, limit: int, cursor: str | None) -> Page[str]:
        """Whom ``user_id`` follows, in id order."""
        return self._store.following(check_user_id("user_id", user_id), limit, cursor)

    @staticmethod
    def _check(user_id: Any, follower_id: Any) -> tuple[str, str]:
        pair = ("user_id", user_id), ("follower_id", follower_id)
        return check_distinct_users(*pair, "a user cannot follow themselves")
