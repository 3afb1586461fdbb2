"""Where failed records go: the retry queue (parked) and the dead-letter queue."""

from __future__ import annotations

import json
import re
from typing import Any, Protocol, TypedDict

from ..observability.correlation import CorrelationIds

__all__ = ["FailedRecord", "FailureSink", "RecordError", "queue_json"]


class RecordError(TypedDict):
    type: str
    message: str


class FailedRecord(TypedDict):
    """The body of a parked or dead-lettered message: enough to re-run and to explain."""

    handler: str  # the processor whose handler failed; the retry worker re-runs it
    policy: str
    payload: Any  # the decoded record, or None when it was not JSON
    text: str | None  # the record's data as text when it was not JSON
    error: RecordError
    attempts: int
    first_failure_at: str  # ISO 8601 UTC
    origin: dict[str, Any]


class FailureSink(Protocol):
    def park(self, failed: FailedRecord, correlation: CorrelationIds) -> None:
        """Send to the retry queue, to be re-run later."""
        ...

    def dead_letter(self, failed: FailedRecord, correlation: CorrelationIds) -> None:
        """Send to the dead-letter queue, for an operator to look at."""
        ...


_SURROGATE = re.compile("[\ud800-\udfff]")


def queue_json(value: object) -> str:
    """The JSON text of a parked or dead-lettered message, for every writer of one (the
    failure sink, the operators' re-drive and listing).

    A record's JSON may hold a lone surrogate (``"\\ud800"`` decodes to one), which
    UTF-8, and so a queue message or a terminal, cannot carry. Non-ASCII text stays as it
    is (an escape costs up to six bytes a character, and message sizes are counted in
    bytes); only lone surrogates are escaped, which reads back as the same value.
    """
    body = json.dumps(value, ensure_ascii=False)
    return _SURROGATE.sub(lambda found: f"\\u{ord(found.group()):04x}", body)
