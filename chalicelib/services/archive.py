"""The archive: events as newline-delimited JSON objects, one object per batch and date.

Each line is the event message as the group received it, ``event_id`` included, so a
reader drops the repeats that at-least-once delivery allows by that id. Before an object
is written, the archive index records which users' events it holds (one row per author
and object), so erasing a user rewrites only their objects (``archive_erasure``); events
of an author who deleted their account are not archived at all.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from ..domain.delete_messages import parse_delete_event_message
from ..domain.deletes import YUBL_DELETED
from ..domain.posts import DEFAULT_MAX_CLOCK_SKEW, YUBL_POSTED, parse_yubl_posted
from ..domain.routing import parse_event_message
from .ports import ArchiveStore

__all__ = ["ArchiveIndex", "ArchiveLine", "ArchiveService", "archive_key", "line_author"]


class ArchiveIndex(Protocol):
    """Which archive objects hold each user's events."""

    def add(self, entries: Sequence[tuple[str, str]]) -> None:
        """Remember each ``(user_id, key)``: the object ``key`` holds events of ``user_id``."""
        ...

    def keys(self, user_id: str) -> list[str]:
        """The objects holding the user's events, as recorded."""
        ...

    def remove(self, user_id: str, keys: Sequence[str]) -> None: ...


@dataclass(frozen=True)
class ArchiveLine:
    event_id: str
    date: str  # YYYY-MM-DD of the event (posted_at, deleted_at), the same on every repeat
    line: str
    event_type: str = YUBL_POSTED
    author_id: str = ""  # whose event it is: the index and the erasure go by it


def line_author(line: str) -> str | None:
    """The author of an archived line (a post's, a delete's), None if it names none."""
    try:
        event = json.loads(line)
    except ValueError:
        return None
    yubl = event.get("yubl") if isinstance(event, dict) else None
    author = yubl.get("author_id") if isinstance(yubl, dict) else None
    return author if isinstance(author, str) else None


def archive_key(event_type: str, date: str, batch_id: str) -> str:
    """``events/<type>/<YYYY>/<MM>/<DD>/<batch>.ndjson``: a day's events under one prefix."""
    year, month, day = date.split("-")
    return f"events/{event_type}/{year}/{month}/{day}/{batch_id}.ndjson"


class ArchiveService:
    def __init__(
        self,
        store: ArchiveStore,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        max_skew: timedelta = DEFAULT_MAX_CLOCK_SKEW,
        batch_ids: Callable[[], str] = lambda: uuid.uuid4().hex,
        index: ArchiveIndex | None = None,
        deleted_among: Callable[[Sequence[str]], set[str]] | None = None,
    ) -> None:
        self._store = store
        self._index = index
        self._deleted_among = deleted_among
        self._clock = clock
        self._max_skew = max_skew
        self._batch_ids = batch_ids

    def line_of(self, message: Any) -> ArchiveLine:
        """A validated event message (a post or a delete) as its archive line; invalid
        input raises."""
        line = json.dumps(message, separators=(",", ":"), ensure_ascii=False, sort_keys=True)
        if isinstance(message, dict) and message.get("type") == YUBL_DELETED:
            deleted, event_id, _ = parse_delete_event_message(
                message, now=self._clock(), max_skew=self._max_skew
            )
            date = deleted.deleted_at[:10]
            return ArchiveLine(event_id, date, line, YUBL_DELETED, deleted.author_id)
        yubl = parse_yubl_posted(message, now=self._clock(), max_skew=self._max_skew)
        event_id = parse_event_message(message, yubl)
        return ArchiveLine(event_id, yubl.posted_at[:10], line, author_id=yubl.author_id)

    def deleted_authors(self, lines: Sequence[ArchiveLine]) -> set[str]:
        """The authors among ``lines`` whose account is deleted: one batched read."""
        if self._deleted_among is None or not lines:
            return set()
        return self._deleted_among(list(dict.fromkeys(line.author_id for line in lines)))

    def write(self, lines: Sequence[ArchiveLine], event_type: str) -> dict[str, list[str]]:
        """One object per date the lines fall on; the event ids written under each key."""
        by_date: dict[str, list[ArchiveLine]] = {}
        for line in lines:
            by_date.setdefault(line.date, []).append(line)
        written: dict[str, list[str]] = {}
        for date, day in sorted(by_date.items()):
            key = archive_key(event_type, date, self._batch_ids())
            if self._index is not None:  # first: an object is never there unindexed
                authors = dict.fromkeys(line.author_id for line in day)
                self._index.add([(author, key) for author in authors])
            self._store.put_object(key, [line.line for line in day])
            written[key] = [line.event_id for line in day]
        return written
