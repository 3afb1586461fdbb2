"""Reading a feed, and writing a yubl into many feeds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..domain.fanout import parse_group_message
from ..domain.feed import FeedEntry, entries_for
from ..domain.paging import Page
from ..domain.validation import check_user_id
from .ports import FeedStore

__all__ = ["FeedService", "FeedWrite"]


@dataclass(frozen=True)
class FeedWrite:
    yubl_id: str
    posted_at: str
    entries: int


class FeedService:
    def __init__(self, store: FeedStore) -> None:
        self._store = store

    def read(self, user_id: Any, limit: int, cursor: str | None) -> Page[FeedEntry]:
        return self._store.page(check_user_id("user_id", user_id), limit, cursor)

    def add_group(self, message: Any) -> FeedWrite:
        """Write a feed-fanout message's yubl into each follower's feed."""
        yubl, followers = parse_group_message(message)
        entries = entries_for(yubl, followers)
        self._store.put_entries(entries)
        return FeedWrite(yubl_id=yubl.yubl_id, posted_at=yubl.posted_at, entries=len(entries))
