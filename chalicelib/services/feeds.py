"""Reading a feed, and writing a yubl into many feeds."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from ..domain.fanout import FollowerGroupMessage, group_message, parse_group_message
from ..domain.feed import FeedEntry, FeedRef, entries_for, hydrate
from ..domain.feed_cap import FeedCap
from ..domain.paging import Page
from ..domain.posts import DEFAULT_MAX_CLOCK_SKEW, Yubl
from ..domain.validation import check_user_id
from .feed_cap import read_capped
from .mutes import MuteStore, followers_not_muting, unmuted
from .ports import FeedStore, PostStore

__all__ = ["WRITE_CHUNK", "FeedReader", "FeedService", "FeedWrite", "in_chunks", "read_entries"]

FeedReader = Callable[[Any, int, str | None], Page[FeedEntry]]
"""A whole feed read (the merged read of hybrid fan-out) that replaces the plain one."""

T = TypeVar("T")

WRITE_CHUNK = 25
"""Entries per store call: one BatchWriteItem, so the time budget is checked between calls."""


def _never() -> bool:
    return False


def in_chunks(
    items: Sequence[T], apply: Callable[[Sequence[T]], None], out_of_time: Callable[[], bool]
) -> int:
    """``apply`` to ``WRITE_CHUNK`` items at a time, asking ``out_of_time`` before each
    call; how many items were applied (all of them, unless time ran out)."""
    done = 0
    while done < len(items):
        if out_of_time():
            return done
        chunk = items[done : done + WRITE_CHUNK]
        apply(chunk)
        done += len(chunk)
    return done


@dataclass(frozen=True)
class FeedWrite:
    yubl_id: str
    posted_at: str
    entries: int  # entries written by this call
    followers: tuple[str, ...] = ()  # whose feeds they went to, in order
    rest: FollowerGroupMessage | None = None  # the followers left unwritten when time ran out
    muted: int = 0  # followers left out: they mute the author
    skipped: int = 0  # followers not written to: inactive (services/activity.py)


class FeedService:
    def __init__(
        self,
        store: FeedStore,
        posts: PostStore,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        max_skew: timedelta = DEFAULT_MAX_CLOCK_SKEW,
        mutes: MuteStore | None = None,
        cap: FeedCap | None = None,
        active: Callable[[Sequence[str]], list[str]] | None = None,
        reader: FeedReader | None = None,
    ) -> None:
        self._store = store
        self._reader = reader  # the merged read of hybrid fan-out (services/celebrities.py)
        self._posts = posts
        self._clock = clock
        self._max_skew = max_skew
        self._mutes = mutes
        self._cap = cap
        self._active = active  # which followers to write to; None: all of them

    def read(self, user_id: Any, limit: int, cursor: str | None) -> Page[FeedEntry]:
        """One page of the feed, its references hydrated from the posts table (merged with
        followed celebrities' posts by ``reader``); muted authors left out, nothing past
        the cap shown (``cap`` None: a reader that merges past the stored entries)."""
        user = check_user_id("user_id", user_id)
        read = self._reader if self._reader is not None else self._read
        if self._cap is None:
            return read(user, limit, cursor)
        return read_capped(self._cap, read, user, limit, cursor)

    def _read(self, user_id: str, limit: int, cursor: str | None) -> Page[FeedEntry]:
        return read_entries(self._store, self._posts, user_id, limit, cursor, self._unmuted)

    def _unmuted(self, user_id: str, refs: Page[FeedRef]) -> Page[FeedRef]:
        return refs if self._mutes is None else unmuted(self._mutes, user_id, refs)

    def add_group(self, message: Any, out_of_time: Callable[[], bool] = _never) -> FeedWrite:
        """Write a feed-fanout message's yubl into each follower's feed.

        The whole message is validated before the first write; a post deleted since
        (a write that comes after its delete's removal) writes nothing. Before each chunk of
        writes ``out_of_time`` is asked; once it says yes, the followers not yet written
        come back as ``rest``, a smaller message of the same shape.
        """
        yubl, followers = parse_group_message(message, now=self._clock(), max_skew=self._max_skew)
        if self._posts.is_deleted(yubl.author_id, yubl.yubl_id):
            return _result(yubl, [])  # deleted since its fan-out: its removal may have run
        muted = skipped = 0
        if self._mutes is not None:
            unmuting = followers_not_muting(self._mutes, yubl.author_id, followers)
            muted, followers = len(followers) - len(unmuting), unmuting
        if self._active is not None:
            active = self._active(followers)
            skipped, followers = len(followers) - len(active), active
        entries = entries_for(yubl, followers)
        written = in_chunks(entries, self._store.put_entries, out_of_time)
        if written < len(entries):
            rest = group_message(yubl, [entry.user_id for entry in entries[written:]])
            return _result(yubl, entries[:written], rest, muted, skipped)
        return _result(yubl, entries, muted=muted, skipped=skipped)


def read_entries(
    store: FeedStore,
    posts: PostStore,
    user_id: str,
    limit: int,
    cursor: str | None,
    keep: Callable[[str, Page[FeedRef]], Page[FeedRef]] | None = None,
) -> Page[FeedEntry]:
    """A page of references from ``store`` (those ``keep`` keeps), hydrated; deleted posts
    are skipped."""
    refs = store.page(user_id, limit, cursor)
    if keep is not None:
        refs = keep(user_id, refs)
    return hydrate(refs, posts.live([(r.author_id, r.yubl_id) for r in refs.items]))


def _result(
    yubl: Yubl,
    written: list[FeedEntry],
    rest: FollowerGroupMessage | None = None,
    muted: int = 0,
    skipped: int = 0,
) -> FeedWrite:
    return FeedWrite(
        yubl_id=yubl.yubl_id,
        posted_at=yubl.posted_at,
        entries=len(written),
        followers=tuple(entry.user_id for entry in written),
        rest=rest,
        muted=muted,
        skipped=skipped,
    )
