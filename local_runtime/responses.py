"""What a function's return value means under ``ReportBatchItemFailures``.

One reading for streams and queues, as the Lambda guide gives it: ``None``, ``{}``, a
missing, null or empty ``batchItemFailures`` is success; an unknown, empty or missing
``itemIdentifier`` (or a response that is not an object) fails the whole batch.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

__all__ = ["WHOLE_BATCH", "reported_failures"]

WHOLE_BATCH = None


def reported_failures(response: Any, identifiers: Collection[str]) -> list[str] | None:
    """The identifiers reported failed ([] = success), or ``WHOLE_BATCH`` (None)."""
    if response is None:
        return []
    if not isinstance(response, dict):
        return WHOLE_BATCH
    failures = response.get("batchItemFailures")
    if not failures:
        return []
    if not isinstance(failures, list):
        return WHOLE_BATCH
    reported: list[str] = []
    for item in failures:
        ident = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not isinstance(ident, str) or ident not in identifiers:
            return WHOLE_BATCH
        reported.append(ident)
    return reported
