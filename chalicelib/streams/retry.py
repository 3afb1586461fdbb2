"""Re-running a parked record through the handler it failed in."""

from __future__ import annotations

import json
from typing import Any

from ..domain.errors import InvalidInput
from .invocation import Unfinished, bound_arrival
from .processor import processors
from .records import arrival_of

__all__ = ["rerun_parked"]


def rerun_parked(failed: Any) -> None:
    """Run a parked record's payload through its processor's handler, once (checked by
    the processor's contract first, as when it came from the stream).

    Raises on failure, so the retry queue keeps the message: SQS shows it again after
    the visibility timeout, and the redrive policy dead-letters it after maxReceiveCount.
    A handler that stops early (``Unfinished``) hands its rest on under its own name, so
    the rest is parked as a new message for that handler and the done part never redone.
    A stream record's arrival, kept in its origin, is in force again while it re-runs.
    """
    if not isinstance(failed, dict) or failed.get("handler") not in processors:
        raise InvalidInput("handler", f"names no known processor: {failed!r:.200}")
    payload = failed.get("payload")
    if payload is None and failed.get("text") is not None:
        payload = json.loads(failed["text"])  # a re-driven record that was not JSON
    origin = failed.get("origin")
    arrival = (
        arrival_of(origin.get("approximateArrivalTimestamp")) if isinstance(origin, dict) else None
    )
    try:
        with bound_arrival(arrival):
            processors[failed["handler"]].run(payload)
    except Unfinished as err:
        raise Unfinished(err.rest, str(err), handler=err.handler or failed["handler"]) from err
