"""Reading a feed, and writing a yubl into many feeds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ..domain.fanout import FollowerGroupMessage, group_message, parse_group_message
from ..domain.feed import FeedEntry, entries_for, hydrate
from ..domain.paging import Page
from ..domain.posts import DEFAULT_MAX_CLOCK_SKEW, Yubl
from ..domain.validation import check_user_id
from .ports import FeedStore, PostStore

__all__ = ["WRITE_CHUNK", "FeedReader", "FeedService", "FeedWrite", "read_entries"]

FeedReader = Callable[[Any, int, str | None], Page[FeedEntry]]
"""A whole feed read (the merged read of hybrid fan-out) that replaces the plain one."""

WRITE_CHUNK = 25
"""Entries per store call: one BatchWriteItem, so the time budget is checked between calls."""


def _never() -> bool:
    return False


@dataclass(frozen=True)
class FeedWrite:
    yubl_id: str
    posted_at: str
    entries: int  # entries written by this call
    followers: tuple[str, ...] = ()  # whose feeds they went to, in order
    rest: FollowerGroupMessage | None = None  # the followers left unwritten when time ran out


class FeedService:
    def __init__(
        self,
        store: FeedStore,
        posts: PostStore,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        max_skew: timedelta = DEFAULT_MAX_CLOCK_SKEW,
        reader: FeedReader | None = None,
    ) -> None:
        self._store = store
        self._reader = reader  # the merged read of hybrid fan-out (services/celebrities.py)
        self._posts = posts
        self._clock = clock
        self._max_skew = max_skew

    def read(self, user_id: Any, limit: int, cursor: str | None) -> Page[FeedEntry]:
        """One page of the feed, its references hydrated from the posts table."""
        if self._reader is not None:
            return self._reader(user_id, limit, cursor)
        return read_entries(
            self._store, self._posts, check_user_id("user_id", user_id), limit, cursor
        )

    def add_group(self, message: Any, out_of_time: Callable[[], bool] = _never) -> FeedWrite:
        """Write a feed-fanout message's yubl into each follower's feed.

        The whole message is validated before the first write. Before each chunk of
        writes ``out_of_time`` is asked; once it says yes, the followers not yet written
        come back as ``rest``, a smaller message of the same shape.
        """
        yubl, followers = parse_group_message(message, now=self._clock(), max_skew=self._max_skew)
        entries = entries_for(yubl, followers)
        written = 0
        while written < len(entries):
            if out_of_time():
                rest = [entry.user_id for entry in entries[written:]]
                return _result(yubl, entries[:written], rest=group_message(yubl, rest))
            chunk = entries[written : written + WRITE_CHUNK]
            self._store.put_entries(chunk)
            written += len(chunk)
        return _result(yubl, entries)


def read_entries(
    store: FeedStore, posts: PostStore, user_id: str, limit: int, cursor: str | None
) -> Page[FeedEntry]:
    """A page of references from ``store``, hydrated; deleted posts are skipped."""
    refs = store.page(user_id, limit, cursor)
    return hydrate(refs, posts.live([(r.author_id, r.yubl_id) for r in refs.items]))


def _result(
    yubl: Yubl, written: list[FeedEntry], rest: FollowerGroupMessage | None = None
) -> FeedWrite:
    return FeedWrite(
        yubl_id=yubl.yubl_id,
        posted_at=yubl.posted_at,
        entries=len(written),
        followers=tuple(entry.user_id for entry in written),
        rest=rest,
    )
