"""Erasing a user from the archive: bounded by the objects that hold their events.

An archive object holds a batch of up to 10 events of many users, so a user's events are
erased by rewriting each object that holds one of them without those lines (deleting it
when nothing is left). The archive index names these objects (``ArchiveService.write``
records them before it writes an object), so the work is the user's objects, never a
scan of the bucket. Each object's index row goes after its rewrite: a crash in between
rewrites that object again, which changes nothing more.

The archive keeps a record that the erasure happened and when, with counts and no
content (``erasures/user-deleted/<user_id>.ndjson``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Protocol

from ..domain.accounts import USER_DELETED, UserDeleted
from .archive import ArchiveIndex, line_author
from .ports import ArchiveStore

__all__ = ["ArchiveEraser", "ArchiveObjects", "erasure_key"]


class ArchiveObjects(ArchiveStore, Protocol):
    """The archive's objects, read and rewritten whole."""

    def get_lines(self, key: str) -> list[str] | None:
        """The object's lines; None if there is no such object."""
        ...

    def delete_object(self, key: str) -> None: ...


def erasure_key(user_id: str) -> str:
    return f"erasures/{USER_DELETED}/{user_id}.ndjson"


class ArchiveEraser:
    def __init__(self, objects: ArchiveObjects, index: ArchiveIndex) -> None:
        self._objects = objects
        self._index = index

    def erase(self, user_id: str) -> int:
        """Rewrite every object holding the user's events without them; objects changed."""
        changed = 0
        for key in self._index.keys(user_id):
            lines = self._objects.get_lines(key)
            if lines is not None:
                kept = [line for line in lines if line_author(line) != user_id]
                if len(kept) < len(lines):
                    changed += 1
                    if kept:
                        self._objects.put_object(key, kept)
                    else:
                        self._objects.delete_object(key)
            self._index.remove(user_id, [key])
        return changed

    def record(self, deleted: UserDeleted, erased_at: str, counts: Mapping[str, int]) -> None:
        """The record that the account was erased: who, when, how much; no content."""
        line = json.dumps(
            {
                "type": "user-erased",
                "event_id": deleted.event_id,
                "user_id": deleted.user_id,
                "deleted_at": deleted.deleted_at,
                "erased_at": erased_at,
                "removed": dict(sorted(counts.items())),
            },
            separators=(",", ":"),
        )
        self._objects.put_object(erasure_key(deleted.user_id), [line])
