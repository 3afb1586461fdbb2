"""Inactive followers: the fan-out skips them, their next feed read rebuilds the feed.

Where the fan-out learns who is inactive, and why there: the add_to_feed worker looks up
its follower group's last reads with BatchGetItem (100 keys a call, half a read unit a
key), after the dispatcher has paged the followers. Keeping the last read on the
relationship items instead (so the dispatcher's pages carried it) costs nothing at
fan-out, but every hourly read record becomes one write per followed author instead of
one; reads cost a fifth of writes, so the lookup is the cheaper side (README.md,
"Inactive followers", has the figures).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..domain.activity import active_among, plan_read
from ..domain.feed import FeedEntry
from ..domain.paging import Page
from ..domain.validation import check_user_id
from .feed_rebuild import FeedRebuilder
from .ports import ActivityStore

__all__ = ["FeedRead", "FollowerActivity", "ReadActivity", "TrackedFeedReads"]

Clock = Callable[[], datetime]
PageReader = Callable[[str, int, str | None], Page[FeedEntry]]


class FollowerActivity:
    """The fan-out's side: which of a group's followers to write to."""

    def __init__(self, store: ActivityStore, active_days: int, clock: Clock) -> None:
        self._store = store
        self._active_days = active_days
        self._clock = clock

    def active(self, followers: Sequence[str]) -> list[str]:
        """The followers that count as active, in their order."""
        if self._active_days == 0 or not followers:
            return list(followers)
        reads = self._store.last_reads(followers)
        return active_among(followers, reads, self._clock(), self._active_days)


class ReadActivity:
    """The reader's side: record the read (at most one write an hour) and rebuild the
    feed of a reader the fan-out has been skipping, before the page is answered."""

    def __init__(
        self, store: ActivityStore, rebuilder: FeedRebuilder, active_days: int, clock: Clock
    ) -> None:
        self._store = store
        self._rebuilder = rebuilder
        self._active_days = active_days
        self._clock = clock

    def on_read(self, user_id: str) -> bool:
        """True if the feed was rebuilt."""
        plan = plan_read(self._store.last_read(user_id), self._clock(), self._active_days)
        if plan.rebuild:
            self._rebuilder.rebuild(user_id)  # before the record: a failed rebuild is retried
        if plan.record is not None:
            self._store.record_read(user_id, plan.record)
        return plan.rebuild


@dataclass(frozen=True)
class FeedRead:
    page: Page[FeedEntry]
    rebuilt: bool


class TrackedFeedReads:
    """A feed read that is also a sign of life."""

    def __init__(self, activity: ReadActivity, read: PageReader) -> None:
        self._activity = activity
        self._read = read

    def read(self, user_id: Any, limit: int, cursor: str | None) -> FeedRead:
        """The page is read first, so a bad cursor is refused before anything is written;
        read again after a rebuild, to answer with the rebuilt entries."""
        user = check_user_id("user_id", user_id)
        page = self._read(user, limit, cursor)
        if not self._activity.on_read(user):
            return FeedRead(page, rebuilt=False)
        return FeedRead(self._read(user, limit, cursor), rebuilt=True)
