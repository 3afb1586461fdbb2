"""Errors the domain raises; the HTTP layer maps them to status codes."""

from __future__ import annotations

__all__ = ["DomainError", "InvalidInput", "NotFound", "PermanentFailure"]


class DomainError(Exception):
    """Base of every error a caller can cause."""


class InvalidInput(DomainError):
    """Input that breaks a rule; ``field`` names the offending field."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class PermanentFailure(Exception):
    """A request another service refused for good (no retry can change its answer); the
    record goes to the dead-letter queue at once, with this error as its reason."""


class NotFound(DomainError):
    """What a request names does not exist (or no longer does): HTTP 404, ``field`` named."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem
