"""The Lambda invocation a record runs in: its remaining time, the record's arrival on
its stream, and work handed back.

``StreamProcessor.process`` binds the invocation's context while it runs, and each
record's arrival (Kinesis's ``approximateArrivalTimestamp``) while its handler runs: the
dispatcher carries it on, so freshness is measured from when the stream took the post,
not from a producer's clock. A handler
that must stop before the function's timeout asks ``remaining_ms()`` and raises
``Unfinished`` with the part it did not do; the processor parks that part in the retry
queue under any policy that has a sink (without one, the record fails as a whole), so
nothing is lost and nothing done is redone.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

__all__ = ["Unfinished", "bound_arrival", "bound_context", "record_arrival", "remaining_ms"]

_context: ContextVar[Any] = ContextVar("lambda_context", default=None)
_arrival: ContextVar[float | None] = ContextVar("record_arrival", default=None)


@contextmanager
def bound_context(context: Any) -> Iterator[None]:
    """Make ``context`` (a Lambda context object, or None) the one in force."""
    token = _context.set(context)
    try:
        yield
    finally:
        _context.reset(token)


@contextmanager
def bound_arrival(epoch_seconds: float | None) -> Iterator[None]:
    """Make ``epoch_seconds`` the arrival of the record in hand (None: not a stream's)."""
    token = _arrival.set(epoch_seconds)
    try:
        yield
    finally:
        _arrival.reset(token)


def record_arrival() -> float | None:
    """When the record in hand reached its stream, in epoch seconds; None for a record
    of a topic or a queue, or a parked record that did not keep it."""
    return _arrival.get()


def remaining_ms() -> int | None:
    """Milliseconds left before the invocation times out; None outside an invocation."""
    context = _context.get()
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return None if remaining is None else int(remaining())


class Unfinished(Exception):
    """A handler did part of a record and hands back the rest (``rest``, a payload of the
    same shape) to the failure policy; ``handler`` names the processor whose handler can
    finish it when that is not the one that raised (the retry worker re-running another)."""

    def __init__(self, rest: Any, reason: str, handler: str | None = None) -> None:
        super().__init__(reason)
        self.rest = rest
        self.handler = handler
