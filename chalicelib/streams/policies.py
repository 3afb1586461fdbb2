"""The four failure policies; each processor names one where it is declared.

- ``halt``: fail the batch so the event source retries it in order; the shard waits.
- ``skip``: log, count and dead-letter a copy of the failed record, then carry on.
- ``retry_then_park``: retry in process with backoff, then park the record in the retry
  queue (a worker re-runs it later; the queue's redrive policy dead-letters it after
  maxReceiveCount) and report success for the rest. Records that can never succeed
  (not JSON, invalid input) go straight to the dead-letter queue.
- ``report_item_failures``: return ``batchItemFailures`` so the mapping checkpoints at
  the first failure (needs ``FunctionResponseTypes: ["ReportBatchItemFailures"]``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "FailurePolicy",
    "PolicyName",
    "halt",
    "report_item_failures",
    "retry_then_park",
    "skip",
]


class PolicyName(StrEnum):
    HALT = "halt"
    SKIP = "skip"
    RETRY_THEN_PARK = "retry_then_park"
    REPORT_ITEM_FAILURES = "report_item_failures"


@dataclass(frozen=True)
class FailurePolicy:
    name: PolicyName
    attempts: int = 1  # in-process attempts per record, the first included
    base_delay: float = 0.1  # seconds before the first in-process retry; doubles each time
    max_delay: float = 2.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("attempts must be at least 1")

    def delay(self, attempt: int) -> float:
        """Pause after failed attempt number ``attempt`` (1-based)."""
        return float(min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))


def halt() -> FailurePolicy:
    return FailurePolicy(PolicyName.HALT)


def skip() -> FailurePolicy:
    return FailurePolicy(PolicyName.SKIP)


def retry_then_park(attempts: int = 3, base_delay: float = 0.1) -> FailurePolicy:
    return FailurePolicy(PolicyName.RETRY_THEN_PARK, attempts=attempts, base_delay=base_delay)


def report_item_failures() -> FailurePolicy:
    return FailurePolicy(PolicyName.REPORT_ITEM_FAILURES)
