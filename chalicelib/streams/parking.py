"""Where failed records go: the retry queue (parked) and the dead-letter queue."""

from __future__ import annotations

from typing import Any, Protocol, TypedDict

from ..observability.correlation import CorrelationIds

__all__ = ["FailedRecord", "FailureSink", "RecordError"]


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
