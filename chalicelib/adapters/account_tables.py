"""DynamoDB adapters of what accounts add: the archive index, a user's posts in id order
(tombstones included), and per-user rows a deletion removes whole.

The archive index (``archive-index-<stage>``): key (user_id, key), one row per author and
archive object; the archiver writes a batch's rows with one BatchWriteItem before the
object, so an object is never there unindexed.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model

from .batch_writes import model_batch_send, write_all
from .dynamodb_models import PostModel, _bind

__all__ = [
    "ArchiveIndexModel",
    "DynamoArchiveIndex",
    "DynamoAuthoredPosts",
    "DynamoKeyDeletes",
    "DynamoRows",
    "bind_archive_index_model",
]


class ArchiveIndexModel(Model):
    """The archive object ``key`` holds events of ``user_id``."""

    user_id = UnicodeAttribute(hash_key=True)
    key = UnicodeAttribute(range_key=True)


def bind_archive_index_model(table_name: str) -> type[ArchiveIndexModel]:
    return _bind(ArchiveIndexModel, table_name)


class DynamoArchiveIndex:
    def __init__(self, model: type[ArchiveIndexModel], max_attempts: int = 8) -> None:
        self._model = model
        self._max_attempts = max_attempts

    def add(self, entries: Sequence[tuple[str, str]]) -> None:
        items = [
            {"user_id": {"S": user}, "key": {"S": key}} for user, key in dict.fromkeys(entries)
        ]
        send = partial(model_batch_send, self._model, "put_items")
        write_all(send, items, max_attempts=self._max_attempts)

    def keys(self, user_id: str) -> list[str]:
        return [row.key for row in self._model.query(user_id, consistent_read=True)]

    def remove(self, user_id: str, keys: Sequence[str]) -> None:
        items = [{"user_id": {"S": user_id}, "key": {"S": key}} for key in dict.fromkeys(keys)]
        send = partial(model_batch_send, self._model, "delete_items")
        write_all(send, items, max_attempts=self._max_attempts)


class DynamoAuthoredPosts:
    """``AuthoredPosts`` on the posts table: keys and tombstone times only."""

    def __init__(self, model: type[PostModel]) -> None:
        self._model = model

    def after(self, author_id: str, after: str | None, limit: int) -> list[tuple[str, str | None]]:
        model = self._model
        rows = model.query(
            author_id,
            None if after is None else model.yubl_id > after,
            consistent_read=True,
            limit=limit,
            page_size=limit,
            attributes_to_get=["yubl_id", "deleted_at"],
        )
        return [(row.yubl_id, row.deleted_at) for row in rows]


class DynamoRows:
    """A table keyed by user id alone (activity, authors): a user's row deleted whole."""

    def __init__(self, model: Any) -> None:
        self._model = model

    def delete(self, user_id: str) -> None:
        self._model(user_id).delete()


class DynamoKeyDeletes:
    """Rows of a (hash, range) table deleted by key, 25 a BatchWriteItem, no condition:
    the relationships of a deleted account's followers (whose count goes with it) and
    mutes."""

    def __init__(self, model: Any, hash_name: str, range_name: str, max_attempts: int = 8):
        self._model = model
        self._names = (hash_name, range_name)
        self._max_attempts = max_attempts

    def delete_keys(self, keys: Sequence[tuple[str, str]]) -> None:
        first, second = self._names
        items = [{first: {"S": a}, second: {"S": b}} for a, b in dict.fromkeys(keys)]
        send = partial(model_batch_send, self._model, "delete_items")
        write_all(send, items, max_attempts=self._max_attempts)
