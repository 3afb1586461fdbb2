"""Capped feeds: trim the feeds a write drew (see ``domain.feed_cap``), and read no
further than the cap.

Trimming is maintenance of entries already written: it runs after a group's writes,
one Query per drawn feed, and the entries beyond the cap of every drawn feed deleted
together in BatchWriteItem calls of 25 (several feeds share a call). A feed that loses
entries is marked first (``TrimMarks``), so its reader's read goes on past the stored
end with the followed authors' older posts (``services.celebrities``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from ..domain.errors import InvalidInput
from ..domain.feed_cap import FeedCap
from ..domain.paging import Page
from .ports import TrimMarks

__all__ = ["FeedTrimStore", "FeedTrimmer", "Trimmed", "read_capped"]

T = TypeVar("T")
Reader = Callable[[str, int, str | None], Page[T]]

_CAPPED_CURSOR = re.compile(r"([0-9]{1,7})\.([A-Za-z0-9_-]{1,2000})")


class FeedTrimStore(Protocol):
    """What trimming needs of a feed table."""

    def sort_keys_newest_first(self, user_id: str) -> list[str]:
        """Every entry's sort key (yubl id) of one feed, newest first."""
        ...

    def delete_entries(self, keys: Sequence[tuple[str, str]]) -> None:
        """Delete the (user, yubl id) entries, absent ones included, or raise."""
        ...


@dataclass(frozen=True)
class Trimmed:
    feeds: tuple[str, ...]  # the feeds trimmed (queried), in order
    deleted: int  # entries deleted from them


class FeedTrimmer:
    def __init__(self, store: FeedTrimStore, cap: FeedCap, marks: TrimMarks | None = None) -> None:
        self._store = store
        self._cap = cap
        self._marks = marks

    def after_write(self, yubl_id: str, followers: Sequence[str]) -> Trimmed:
        """Trim the feeds of ``followers`` that the entry ``yubl_id`` just written draws."""
        users = self._cap.feeds_to_trim((user, yubl_id) for user in followers)
        doomed = [
            (user, key)
            for user in users
            for key in self._cap.beyond(self._store.sort_keys_newest_first(user))
        ]
        if doomed:
            if self._marks is not None:  # before the deletes: a cut feed is never unmarked
                self._marks.mark_trimmed(list(dict.fromkeys(user for user, _ in doomed)))
            self._store.delete_entries(doomed)
        return Trimmed(feeds=tuple(users), deleted=len(doomed))


def read_capped(
    cap: FeedCap, read: Reader[T], user_id: str, limit: int, cursor: str | None
) -> Page[T]:
    """A page of ``read`` that never shows past the cap's newest ``max_items``.

    The cursor given out carries how many entries the earlier pages showed
    (``<shown>.<inner cursor>``); a feed between two trims holds a few more than the cap,
    and this keeps them out of sight.
    """
    shown, inner = _split(cursor)
    room = cap.visible(shown, limit)
    if room == 0:
        return Page(items=[], next_cursor=None)
    page = read(user_id, room, inner)
    shown += len(page.items)
    if page.next_cursor is None or cap.visible(shown, 1) == 0:
        return Page(items=page.items, next_cursor=None)
    return Page(items=page.items, next_cursor=f"{shown}.{page.next_cursor}")


def _split(cursor: str | None) -> tuple[int, str | None]:
    if cursor is None:
        return 0, None
    found = _CAPPED_CURSOR.fullmatch(cursor)
    if found is None:
        raise InvalidInput("cursor", "is not a cursor this API returned")
    return int(found.group(1)), found.group(2)
