"""Calls to the endpoint that a poller cannot do without, retried until they succeed.

Lambda never drops a batch because a checkpoint or an on-failure record could not be
written: it waits and tries again, and the mapping shows a problem meanwhile. So does
this runtime: ``persist`` retries with doubling backoff, logs the first failure and the
recovery, and records why the poller is stuck for its status line. Hand-written
because it must stop at once when the runtime stops, which tenacity-style decorators
do not know about.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TypeVar

from botocore.exceptions import ClientError

__all__ = ["Stopped", "StuckReasons", "describe_error", "persist"]

log = logging.getLogger("local_runtime")
T = TypeVar("T")


class Stopped(Exception):
    """The runtime stopped while a call was still being retried; nothing was written."""


class StuckReasons:
    """Why a poller cannot go on right now, one reason per kind of call; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reasons: dict[str, str] = {}

    def set(self, what: str, reason: str) -> None:
        with self._lock:
            self._reasons[what] = reason

    def clear(self, what: str) -> None:
        with self._lock:
            self._reasons.pop(what, None)

    def describe(self) -> str | None:
        """``None`` when nothing is stuck, else every reason, oldest first."""
        with self._lock:
            return "; ".join(self._reasons.values()) or None


def describe_error(err: Exception) -> str:
    """``Class: message``; for an AWS error, its message without botocore's preamble."""
    message = str(err)
    if isinstance(err, ClientError):
        message = err.response.get("Error", {}).get("Message") or message
    return f"{type(err).__name__}: {message}"


def persist(
    what: str,
    action: Callable[[], T],
    *,
    source: str,
    stopping: threading.Event,
    stuck: StuckReasons,
    delays: tuple[float, float] = (0.1, 5.0),
) -> T:
    """Run ``action`` until it returns; raise ``Stopped`` if the runtime stops first."""
    low, high = delays
    failures = 0
    while True:
        try:
            result = action()
        except Exception as err:
            failures += 1
            reason = f"stuck: {what} failed ({describe_error(err)})"
            stuck.set(what, reason)
            if failures == 1:
                log.warning("%s: %s, retrying with backoff", source, reason)
            if stopping.wait(min(high, low * 2 ** (failures - 1))):
                raise Stopped(what) from err
            continue
        if failures:
            stuck.clear(what)
            log.warning("%s: %s succeeded after %d failed attempts", source, what, failures)
        return result
