"""Posting a yubl: validate, then announce it on the stream. Deleting one: mark it
deleted, so every read skips it from the answer on, then announce the delete, whose
clean-up (feed entries, notifications, the text) runs downstream."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from ..domain.deletes import YublDeleted, yubl_deleted, yubl_deleted_event
from ..domain.posts import Yubl, new_yubl, yubl_posted_event
from .ports import EventPublisher, PostStore

__all__ = ["PostingService"]


class PostingService:
    def __init__(
        self, events: EventPublisher, posts: PostStore, clock: Callable[[], datetime]
    ) -> None:
        self._events = events
        self._posts = posts
        self._clock = clock

    def post(self, author_id: Any, text: Any) -> Yubl:
        """Publish a ``yubl-posted`` event keyed by author, so one author's posts stay in order."""
        yubl = new_yubl(author_id, text, now=self._clock())
        self._events.publish(yubl_posted_event(yubl), partition_key=yubl.author_id)
        return yubl

    def delete(self, author_id: Any, yubl_id: Any) -> YublDeleted:
        """Mark the post deleted, then publish a ``yubl-deleted`` event keyed by author (it
        is read after the post).

        A repeated delete keeps the first one's ``deleted_at`` and publishes the same
        event again: nothing changes, and a delete whose publish failed is completed by
        its retry (the event's consumers are idempotent).
        """
        asked = yubl_deleted(author_id, yubl_id, now=self._clock())
        kept = self._posts.mark_deleted(asked.author_id, asked.yubl_id, asked.deleted_at)
        deleted = replace(asked, deleted_at=kept)
        self._events.publish(yubl_deleted_event(deleted), partition_key=deleted.author_id)
        return deleted
