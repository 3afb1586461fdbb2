"""Call a Chalice handler the way Lambda does, and remember what happened.

The handler gets the raw event dict and a context; an exception is a function error
(``Unhandled``), as Lambda reports it. Every invocation is logged on one line and kept
in a bounded history that tests read to pin the exact sequence of invocations.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from local_runtime.context import FunctionIdentity, LambdaContext

__all__ = ["Invocation", "Invoker"]

log = logging.getLogger("local_runtime")

Handler = Callable[[Any, Any], Any]


@dataclass(frozen=True)
class Invocation:
    """One call of a handler: what it got and how it ended."""

    function: str
    source: str
    event: Any
    request_id: str
    ok: bool
    response: Any
    error_type: str | None
    error_message: str | None
    stack_trace: tuple[str, ...]
    started_at: float
    duration_ms: float

    @property
    def record_count(self) -> int:
        records = self.event.get("Records") if isinstance(self.event, dict) else None
        return len(records) if isinstance(records, list) else 0

    def error_payload(self) -> dict[str, Any] | None:
        """The ``responsePayload`` Lambda's Python runtime writes for an exception."""
        if self.ok:
            return None
        return {
            "errorMessage": self.error_message,
            "errorType": self.error_type,
            "requestId": self.request_id,
            "stackTrace": list(self.stack_trace),
        }


class Invoker:
    """Invokes handlers of one app, serialising nothing: each poller calls from its thread."""

    def __init__(self, history_limit: int = 10_000) -> None:
        self._lock = threading.Lock()
        self._history: deque[Invocation] = deque(maxlen=history_limit)
        self._listeners: list[Callable[[Invocation], None]] = []

    @property
    def history(self) -> list[Invocation]:
        with self._lock:
            return list(self._history)

    def subscribe(self, listener: Callable[[Invocation], None]) -> None:
        self._listeners.append(listener)

    def invoke(
        self,
        handler: Handler,
        function: FunctionIdentity,
        handler_name: str,
        source: str,
        event: Any,
        outcome_of: Callable[[Invocation], str] | None = None,
        request_id: str | None = None,
    ) -> Invocation:
        """Call ``handler``; an async retry passes the event's ``request_id`` again."""
        context = LambdaContext(function, request_id)
        started = time.time()
        clock = time.perf_counter()
        try:
            response = handler(event, context)
        except Exception as err:  # a function error, as Lambda sees it
            invocation = Invocation(
                function=handler_name,
                source=source,
                event=event,
                request_id=context.aws_request_id,
                ok=False,
                response=None,
                error_type=type(err).__name__,
                error_message=str(err),
                stack_trace=tuple(traceback.format_list(traceback.extract_tb(err.__traceback__))),
                started_at=started,
                duration_ms=(time.perf_counter() - clock) * 1000,
            )
            log.debug("handler %s raised:\n%s", handler_name, traceback.format_exc())
        else:
            invocation = Invocation(
                function=handler_name,
                source=source,
                event=event,
                request_id=context.aws_request_id,
                ok=True,
                response=response,
                error_type=None,
                error_message=None,
                stack_trace=(),
                started_at=started,
                duration_ms=(time.perf_counter() - clock) * 1000,
            )
        outcome = outcome_of(invocation) if outcome_of else ("ok" if invocation.ok else "error")
        suffix = "" if invocation.ok else f" {invocation.error_type}: {invocation.error_message}"
        log.info(
            "invoke %s <- %s records=%d outcome=%s duration=%.1fms%s",
            handler_name,
            source,
            invocation.record_count,
            outcome,
            invocation.duration_ms,
            suffix,
        )
        with self._lock:
            self._history.append(invocation)
        for listener in self._listeners:
            listener(invocation)
        return invocation
