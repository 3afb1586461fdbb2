"""Who follows whom."""

from __future__ import annotations

from typing import Any

from ..domain.paging import Page
from ..domain.validation import check_distinct_users, check_user_id
from .ports import FollowerStore

__all__ = ["FollowingService"]


class FollowingService:
    def __init__(self, store: FollowerStore) -> None:
        self._store = store

    def follow(self, user_id: Any, follower_id: Any) -> None:
        user, follower = self._check(user_id, follower_id)
        self._store.add(user, follower)

    def unfollow(self, user_id: Any, follower_id: Any) -> None:
        user, follower = self._check(user_id, follower_id)
        self._store.remove(user, follower)

    def followers(self, user_id: Any, limit: int, cursor: str | None) -> Page[str]:
        return self._store.page(check_user_id("user_id", user_id), limit, cursor)

    def following(self, user_id: Any, limit: int, cursor: str | None) -> Page[str]:
        """Whom ``user_id`` follows, in id order."""
        return self._store.following(check_user_id("user_id", user_id), limit, cursor)

    @staticmethod
    def _check(user_id: Any, follower_id: Any) -> tuple[str, str]:
        pair = ("user_id", user_id), ("follower_id", follower_id)
        return check_distinct_users(*pair, "a user cannot follow themselves")
