"""Errors a port raises that are no caller's fault; the HTTP layer maps them to statuses."""

from __future__ import annotations

__all__ = ["TemporarilyUnavailable"]


class TemporarilyUnavailable(Exception):
    """A port's backing service cannot take the call now (throttled, unreachable).

    The caller may try again after ``retry_after`` seconds; nothing was written.
    """

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
