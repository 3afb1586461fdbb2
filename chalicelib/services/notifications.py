"""Notifications: a yubl that mentions ``@user_id`` notifies each mentioned user once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ..domain.feed import FeedEntry, entries_for
from ..domain.mentions import mentioned
from ..domain.paging import Page
from ..domain.posts import DEFAULT_MAX_CLOCK_SKEW, parse_yubl_posted
from ..domain.routing import parse_event_message
from ..domain.validation import check_user_id
from .feeds import read_entries
from .ports import FeedStore, PostStore, UserDirectory

__all__ = ["NotificationService", "NotificationsWritten"]


@dataclass(frozen=True)
class NotificationsWritten:
    yubl_id: str
    event_id: str
    users: tuple[str, ...]  # who was notified, in mention order
    unknown: tuple[str, ...] = ()  # mentioned, but no such user


class NotificationService:
    """Notifications are kept like feed entries, one per (user, yubl): a replayed event
    overwrites its notifications and never adds a second one."""

    def __init__(
        self,
        store: FeedStore,
        posts: PostStore,
        users: UserDirectory,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        max_skew: timedelta = DEFAULT_MAX_CLOCK_SKEW,
    ) -> None:
        self._store = store
        self._posts = posts
        self._users = users
        self._clock = clock
        self._max_skew = max_skew

    def notify(self, message: Any) -> NotificationsWritten:
        """Validate a ``yubl-posted`` event message whole, then notify who it mentions."""
        yubl = parse_yubl_posted(message, now=self._clock(), max_skew=self._max_skew)
        event_id = parse_event_message(message, yubl)
        named = mentioned(yubl)
        if named and self._posts.is_deleted(yubl.author_id, yubl.yubl_id):
            named = []  # deleted since it was published: its removal may already have run
        existing = self._users.existing(named) if named else set()
        users = [user for user in named if user in existing]
        if users:
            self._store.put_entries(entries_for(yubl, users))
        unknown = tuple(user for user in named if user not in existing)
        return NotificationsWritten(yubl.yubl_id, event_id, tuple(users), unknown)

    def read(self, user_id: Any, limit: int, cursor: str | None) -> Page[FeedEntry]:
        """One page of a user's notifications, newest first."""
        user = check_user_id("user_id", user_id)
        return read_entries(self._store, self._posts, user, limit, cursor)
