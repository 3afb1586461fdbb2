"""TumblingWindowInSeconds: one lane's open window, its state, and its final invoke.

The Lambda guide: the state the function returns is handed to the next invocation of
the same window; a response without a ``state`` property is a failed invocation; at
the window's end a final invocation with no records and ``isFinalInvokeForWindow``
carries the state, and processing waits until it succeeds.
"""

from __future__ import annotations

from typing import Any

from local_runtime.events import iso_millis
from local_runtime.shard_context import ShardContext

__all__ = ["TumblingWindow", "has_state"]


def has_state(response: Any) -> bool:
    """Whether a response carries the ``state`` object a windowed invocation must return."""
    return isinstance(response, dict) and isinstance(response.get("state"), dict)


class TumblingWindow:
    """The window a lane is in, if any, and the state the function returned last."""

    def __init__(self, context: ShardContext, shard_id: str, source: str) -> None:
        self._context = context
        self._shard_id = shard_id
        self._source = source
        self.width = context.settings.tumbling_window_in_seconds
        self.start: float | None = None
        self.state: dict[str, Any] = {}

    @property
    def open(self) -> bool:
        return self.start is not None

    def ended(self) -> bool:
        return self.start is not None and self._context.clock() >= self.start + self.width

    def enter(self, start: float) -> None:
        """Before a batch of the window starting at ``start``: close the previous one."""
        if self.start is not None and self.start != start:
            self.close()
        if self.start is None:
            self.start, self.state = start, {}

    def fields(self, final: bool, early: bool = False) -> dict[str, Any]:
        start = self.start or 0.0
        return {
            "window": {"start": iso_millis(start), "end": iso_millis(start + self.width)},
            "state": dict(self.state),
            "shardId": self._shard_id,
            "eventSourceARN": self._context.stream_arn,
            "isFinalInvokeForWindow": final,
            "isWindowTerminatedEarly": early,
        }

    def absorb(self, response: Any) -> None:
        """Keep the state of a successful invocation for the next one of the window."""
        if has_state(response):
            self.state = dict(response["state"])

    def close(self, early: bool = False) -> None:
        """The final invoke: no records, the state so far; retried as the mapping says."""
        context = self._context
        attempts = 0
        while not context.stopping.is_set():
            event = {"Records": [], **self.fields(final=True, early=early)}
            invocation = context.target.invoke(self._source, event)
            limit = context.settings.maximum_retry_attempts
            if invocation.ok or (limit != -1 and attempts >= limit):
                break
            attempts += 1
            context.stopping.wait(context.retry_delay(attempts))
        self.start, self.state = None, {}
