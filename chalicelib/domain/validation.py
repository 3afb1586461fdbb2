"""Field rules shared by posts, relationships and feeds."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from .errors import InvalidInput

__all__ = [
    "MAX_TEXT_LENGTH",
    "check_distinct_users",
    "check_format",
    "check_limit",
    "check_text",
    "check_user_id",
    "check_utc_time",
]

_USER_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_UTC_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?Z")
MAX_TEXT_LENGTH = 2000


def check_user_id(field: str, value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidInput(field, "must be a string")
    if not _USER_ID.fullmatch(value):
        raise InvalidInput(field, "must be 1-64 characters of A-Z, a-z, 0-9, '_' or '-'")
    return value


def check_distinct_users(
    first: tuple[str, Any], second: tuple[str, Any], problem: str
) -> tuple[str, str]:
    """Two user ids, each (field, value), that must differ: ``problem`` names the second."""
    one, other = check_user_id(*first), check_user_id(*second)
    if one == other:
        raise InvalidInput(second[0], problem)
    return one, other


def check_text(field: str, value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidInput(field, "must be a string")
    if not 1 <= len(value) <= MAX_TEXT_LENGTH:
        raise InvalidInput(field, f"must be 1-{MAX_TEXT_LENGTH} characters")
    return value


def check_format(field: str, value: Any, pattern: re.Pattern[str], rule: str) -> str:
    """A string matching ``pattern`` in full; the error states ``rule`` and quotes the value."""
    if not isinstance(value, str):
        raise InvalidInput(field, "must be a string")
    if not pattern.fullmatch(value):
        raise InvalidInput(field, f"must be {rule}, got {value[:40]!r}")
    return value


def check_utc_time(field: str, value: Any) -> datetime:
    """An ISO 8601 UTC timestamp with a ``Z`` (``2026-11-23T15:30:00.123Z``), as a datetime."""
    rule = "an ISO 8601 UTC time like 2026-11-23T15:30:00.123Z"
    value = check_format(field, value, _UTC_TIME, rule)
    try:
        return datetime.fromisoformat(value[:-1]).replace(tzinfo=UTC)
    except ValueError:
        raise InvalidInput(field, f"is not a valid date and time: {value!r}") from None


def check_limit(value: str | None, default: int = 100, maximum: int = 1000) -> int:
    """Parse a ``limit`` query parameter: an integer from 1 to ``maximum``."""
    if value is None:
        return default
    if not re.fullmatch(r"[0-9]{1,7}", value.strip()):
        raise InvalidInput("limit", f"must be an integer from 1 to {maximum}")
    number = int(value)
    if not 1 <= number <= maximum:
        raise InvalidInput("limit", f"must be an integer from 1 to {maximum}")
    return number
