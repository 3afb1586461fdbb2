"""Re-running a parked record through the handler it failed in."""

from __future__ import annotations

import json
from typing import Any

from ..domain.errors import InvalidInput
from .invocation import Unfinished
from .processor import processors

__all__ = ["rerun_parked"]


def rerun_parked(failed: Any) -> None:
    """Run a parked record's payload through its processor's handler, once (checked by
    the processor's contract first, as when it came from the stream).

    Raises on failure, so the retry queue keeps the message: SQS shows it again after
    the visibility timeout, and the redrive policy dead-letters it after maxReceiveCount.
    A handler that stops early (``Unfinished``) hands its rest on under its own name, so
    the rest is parked as a new message for that handler and the done part never redone.
    """
    if not isinstance(failed, dict) or failed.get("handler") not in processors:
        raise InvalidInput("handler", f"names no known processor: {failed!r:.200}")
    payload = failed.get("payload")
    if payload is None and failed.get("text") is not None:
        payload = json.loads(failed["text"])  # a re-driven record that was not JSON
    try:
        processors[failed["handler"]].run(payload)
    except Unfinished as err:
        raise Unfinished(err.rest, str(err), handler=err.handler or failed["handler"]) from err
