"""The archive: events as newline-delimited JSON objects, one object per batch and date.

Each line is the event message as the group received it, ``event_id`` included, so a
reader drops the repeats that at-least-once delivery allows by that id.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ..domain.delete_messages import parse_delete_event_message
from ..domain.deletes import YUBL_DELETED
from ..domain.posts import DEFAULT_MAX_CLOCK_SKEW, YUBL_POSTED, parse_yubl_posted
from ..domain.routing import parse_event_message
from .ports import ArchiveStore

__all__ = ["ArchiveLine", "ArchiveService", "archive_key"]


@dataclass(frozen=True)
class ArchiveLine:
    event_id: str
    date: str  # YYYY-MM-DD of the event (posted_at, deleted_at), the same on every repeat
    line: str
    event_type: str = YUBL_POSTED


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
    ) -> None:
        self._store = store
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
            return ArchiveLine(event_id, deleted.deleted_at[:10], line, YUBL_DELETED)
        yubl = parse_yubl_posted(message, now=self._clock(), max_skew=self._max_skew)
        event_id = parse_event_message(message, yubl)
        return ArchiveLine(event_id, yubl.posted_at[:10], line)

    def write(self, lines: Sequence[ArchiveLine], event_type: str) -> dict[str, list[str]]:
        """One object per date the lines fall on; the event ids written under each key."""
        by_date: dict[str, list[ArchiveLine]] = {}
        for line in lines:
            by_date.setdefault(line.date, []).append(line)
        written: dict[str, list[str]] = {}
        for date, day in sorted(by_date.items()):
            key = archive_key(event_type, date, self._batch_ids())
            self._store.put_object(key, [line.line for line in day])
            written[key] = [line.event_id for line in day]
        return written
