"""What a CloudFormation stack status means for the create or update we started.

Pure rules, no SDK calls, so they are tested with the exact AWS status strings: the moto
server cannot make an update roll back (a failing resource is an HTTP 500, the stack
keeps its status). The rules are those of botocore's ``stack_create_complete`` and
``stack_update_complete`` waiters: an operation is done only at its own ``*_COMPLETE``;
a rollback, even one that completed, means the operation failed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

__all__ = [
    "DONE",
    "FAILED",
    "WAITING",
    "Operation",
    "StackOperationFailed",
    "failure_message",
    "operation_outcome",
]

Operation = Literal["CREATE", "UPDATE"]
DONE, FAILED, WAITING = "done", "failed", "waiting"

# What a user can do next, for the final statuses that need more than a fix and a re-run.
_NEXT_STEP = {
    "UPDATE_ROLLBACK_COMPLETE": "rolled back: the stack keeps its previous resources",
    "UPDATE_ROLLBACK_FAILED": (
        "the rollback failed too: finish it with aws cloudformation continue-update-rollback"
    ),
    "ROLLBACK_COMPLETE": "rolled back: delete the stack before deploying it again",
    "ROLLBACK_FAILED": "the rollback failed too: delete the stack before deploying it again",
}
_MAX_REASONS = 3


class StackOperationFailed(RuntimeError):
    """A stack create or update ended anywhere but in its ``*_COMPLETE`` status."""

    def __init__(self, stack: str, status: str, message: str) -> None:
        super().__init__(message)
        self.stack = stack
        self.status = status


def operation_outcome(operation: Operation, status: str) -> str:
    """DONE, FAILED or WAITING: a status of the operation's own, read after it began."""
    if status.endswith("_IN_PROGRESS"):
        return WAITING
    return DONE if status == f"{operation}_COMPLETE" else FAILED


def failure_message(
    stack: str, operation: Operation, status: str, events: Iterable[Mapping[str, Any]]
) -> str:
    """One line for the user: the stack, the final status, what to do, the first failures.

    ``events`` are the operation's stack events, oldest first; the first resource that
    failed is the cause, the ones after it are mostly "Resource update cancelled".
    """
    message = f"stack {stack}: the {operation.lower()} failed, the stack is {status}"
    if status in _NEXT_STEP:
        message += f" ({_NEXT_STEP[status]})"
    reasons = [
        f"{event['LogicalResourceId']} {event['ResourceStatus']}: {event['ResourceStatusReason']}"
        for event in events
        if event.get("ResourceStatus", "").endswith("_FAILED") and event.get("ResourceStatusReason")
    ]
    if reasons:
        more = len(reasons) - _MAX_REASONS
        message += "; " + "; ".join(reasons[:_MAX_REASONS])
        message += f" (and {more} more in the stack's events)" if more > 0 else ""
    return message
