"""Posting a yubl: validate, then announce it on the stream."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from ..domain.deletes import YublDeleted, yubl_deleted, yubl_deleted_event
from ..domain.posts import Yubl, new_yubl, yubl_posted_event
from .ports import EventPublisher

__all__ = ["PostingService"]


class PostingService:
    def __init__(self, events: EventPublisher, clock: Callable[[], datetime]) -> None:
        self._events = events
        self._clock = clock

    def post(self, author_id: Any, text: Any) -> Yubl:
        """Publish a ``yubl-posted`` event keyed by author, so one author's posts stay in order."""
        yubl = new_yubl(author_id, text, now=self._clock())
        self._events.publish(yubl_posted_event(yubl), partition_key=yubl.author_id)
        return yubl

    def delete(self, author_id: Any, yubl_id: Any) -> YublDeleted:
        """Publish a ``yubl-deleted`` event keyed by author: it is read after the post."""
        deleted = yubl_deleted(author_id, yubl_id, now=self._clock())
        self._events.publish(yubl_deleted_event(deleted), partition_key=deleted.author_id)
        return deleted
