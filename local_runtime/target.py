"""What every event source needs to reach its function: handler, identity, invoker."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from local_runtime.context import FunctionIdentity
from local_runtime.invoker import Invocation, Invoker

__all__ = ["FunctionTarget", "Liveness", "empty_through"]

log = logging.getLogger("local_runtime")


@dataclass(frozen=True)
class FunctionTarget:
    """One Chalice handler as Lambda would run it."""

    name: str
    handler: Callable[[Any, Any], Any]
    identity: FunctionIdentity
    invoker: Invoker
    role_arn: str

    def invoke(
        self, source: str, event: Any, outcome_of: Callable[[Invocation], str] | None = None
    ) -> Invocation:
        return self.invoker.invoke(
            self.handler, self.identity, self.name, source, event, outcome_of
        )


@dataclass
class Liveness:
    """Busy/idle bookkeeping of one poller, for ``wait_until_idle`` without sleeps.

    A poller is idle since ``t`` when a poll that *started* after ``t`` found nothing
    and it holds no work: so a record written before ``t`` cannot go unnoticed.
    ``failing`` marks a poll that just failed (emulator busy, connection reset): the
    poller retries and is not idle meanwhile; ``error`` is kept for a poller that died.
    """

    empty_poll_started: float = 0.0
    held: int = 0
    failing: bool = False
    error: BaseException | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def polled_empty(self, started: float) -> None:
        with self.lock:
            self.empty_poll_started = started

    def hold(self, count: int) -> None:
        with self.lock:
            self.held += count

    def release(self, count: int) -> None:
        with self.lock:
            self.held -= count

    def idle_since(self, since: float) -> bool:
        with self.lock:
            return self.held == 0 and not self.failing and self.empty_poll_started >= since

    def poll_failed(self, source: str, err: Exception) -> None:
        """Log a failed poll once per run of failures; the caller waits and retries."""
        with self.lock:
            first = not self.failing
            self.failing = True
        if first:
            log.warning("%s: poll failed, retrying: %s", source, err)

    def poll_succeeded(self) -> None:
        with self.lock:
            self.failing = False


def now() -> float:
    return time.monotonic()


def empty_through(started: float, wait_seconds: int) -> float:
    """Until when an empty ReceiveMessage that started at ``started`` shows its queue empty.

    A long poll (``WaitTimeSeconds`` > 0) returns as soon as a message is available within
    its wait, so an empty answer that took the whole wait covers it to its end; a short
    poll, or an answer that came back sooner, only its start.
    """
    if wait_seconds > 0 and now() >= started + wait_seconds:
        return started + wait_seconds
    return started
