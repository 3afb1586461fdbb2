"""The feed table's side of trimming (``services.feed_cap.FeedTrimStore``), through PynamoDB."""

from __future__ import annotations

from collections.abc import Sequence

from .batch_writes import Item, write_all
from .dynamodb_models import FeedEntryModel

__all__ = ["DynamoFeedTrimStore"]


class DynamoFeedTrimStore:
    def __init__(self, model: type[FeedEntryModel], max_attempts: int = 8) -> None:
        self._model = model
        self._max_attempts = max_attempts

    def sort_keys_newest_first(self, user_id: str) -> list[str]:
        # keys only: one Query call per 1 MB of the feed read (thousands of entries)
        rows = self._model.query(
            user_id, scan_index_forward=False, attributes_to_get=["user_id", "yubl_id"]
        )
        return [row.yubl_id for row in rows]

    def delete_entries(self, keys: Sequence[tuple[str, str]]) -> None:
        items = [{"user_id": {"S": user}, "yubl_id": {"S": yubl}} for user, yubl in keys]
        write_all(self._send, items, max_attempts=self._max_attempts)

    def _send(self, keys: list[Item]) -> list[Item]:
        connection = self._model._get_connection()
        response = connection.batch_write_item(delete_items=keys) or {}
        unprocessed = response.get("UnprocessedItems", {}).get(self._model.Meta.table_name, [])
        return [request["DeleteRequest"]["Key"] for request in unprocessed]
