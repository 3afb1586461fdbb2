"""BatchWriteItem in chunks of 25, retrying UnprocessedItems with backoff.

DynamoDB may accept part of a batch and hand back the rest as UnprocessedItems
(throttling, hot partitions); those must be sent again, after a pause, until
every item is written or the attempts run out.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["MAX_BATCH_WRITE", "UnprocessedWrites", "model_batch_send", "write_all"]

MAX_BATCH_WRITE = 25

Item = dict[str, Any]


class UnprocessedWrites(RuntimeError):
    """Items were still unprocessed after the last attempt."""

    def __init__(self, remaining: int, attempts: int) -> None:
        super().__init__(f"{remaining} items still unprocessed after {attempts} attempts")
        self.remaining = remaining


def write_all(
    send: Callable[[list[Item]], list[Item]],
    items: Sequence[Item],
    max_attempts: int = 8,
    base_delay: float = 0.05,
    max_delay: float = 2.0,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Write ``items`` with ``send`` (one BatchWriteItem call; returns the unprocessed items).

    Returns the number of BatchWriteItem calls made.
    """
    calls = 0
    for start in range(0, len(items), MAX_BATCH_WRITE):
        pending = list(items[start : start + MAX_BATCH_WRITE])
        for attempt in range(1, max_attempts + 1):
            pending = send(pending)
            calls += 1
            if not pending:
                break
            if attempt == max_attempts:
                raise UnprocessedWrites(len(pending), attempt)
            # full jitter: spreads retries of many writers hitting the same partition
            sleep(random.uniform(0, min(max_delay, base_delay * 2 ** (attempt - 1))))
    return calls


_BATCH_REQUESTS = {"put_items": ("PutRequest", "Item"), "delete_items": ("DeleteRequest", "Key")}
"""A BatchWriteItem argument of PynamoDB -> the request and part UnprocessedItems hold."""


def model_batch_send(model: Any, kind: str, items: list[Item]) -> list[Item]:
    """One BatchWriteItem of puts (``put_items``) or deletes (``delete_items``) to a PynamoDB
    model's table; the requests DynamoDB left unprocessed, as they were sent (``write_all``'s
    ``send``)."""
    # The model's own connection: it knows the table's schema without a DescribeTable call.
    # (Model.batch_write would do, but it gives up on UnprocessedItems without backoff.)
    connection = model._get_connection()
    if kind == "put_items":
        response = connection.batch_write_item(put_items=items) or {}
    else:
        response = connection.batch_write_item(delete_items=items) or {}
    unprocessed = response.get("UnprocessedItems", {}).get(model.Meta.table_name, [])
    request, part = _BATCH_REQUESTS[kind]
    return [entry[request][part] for entry in unprocessed]
