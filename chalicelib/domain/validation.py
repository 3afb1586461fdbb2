"""Field rules shared by posts, relationships and feeds, and the envelope every stream and
queue record is checked against first."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from .errors import InvalidInput

__all__ = [
    "MAX_TEXT_LENGTH",
    "TIME_RULE",
    "check_distinct_users",
    "check_envelope",
    "check_format",
    "check_limit",
    "check_text",
    "check_user_id",
    "check_utc_time",
]

_USER_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_TIME = re.compile(
    r"(19[7-9][0-9]|2[0-9]{3})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,9}))?"
    r"(Z|([+-])([0-9]{2}):([0-9]{2}))"
)
TIME_RULE = "an RFC 3339 time like 2026-11-23T15:30:00.123Z or 2026-11-23T16:30:00.123456+01:00"
"""The times events carry: RFC 3339 (upper-case ``T`` and ``Z``, an offset or ``Z``, up
to nine decimals, years 1970-2999), what producers' libraries write (``isoformat()``,
``toISOString()``, ``Instant.toString()``, Go's ``RFC3339Nano``)."""
MAX_TEXT_LENGTH = 2000


def check_envelope(payload: Any, types: Sequence[str], field: str = "event") -> dict[str, Any]:
    """``payload`` when it is a JSON object whose ``type`` is one of ``types``: the first
    check of every record's parser (``field`` names the record: an event, a message). The
    type echoed back is cut to 80 characters, since a record is anyone's input."""
    if not isinstance(payload, dict):
        raise InvalidInput(field, "must be a JSON object")
    if payload.get("type") not in types:
        expected = " or ".join(repr(t) for t in types)
        raise InvalidInput("type", f"must be {expected}, got {payload.get('type')!r:.80}")
    return payload


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
    """A time of ``TIME_RULE`` as an aware datetime (microseconds: later decimals are
    cut); a date or time that does not exist (February 30, 24:00, a leap second, an
    offset of 24 hours or more) is invalid input."""
    value = check_format(field, value, _TIME, TIME_RULE)
    found = _TIME.fullmatch(value)
    assert found is not None
    year, month, day, hour, minute, second = (int(part) for part in found.groups()[:6])
    fraction, zone, sign, zone_hours, zone_minutes = found.groups()[6:]
    try:
        offset = timedelta(0)
        if zone != "Z":
            if int(zone_minutes) > 59:
                raise ValueError("offset minutes")
            offset = timedelta(hours=int(zone_hours), minutes=int(zone_minutes))
            offset = -offset if sign == "-" else offset
        micros = int((fraction or "0")[:6].ljust(6, "0"))
        moment = datetime(year, month, day, hour, minute, second, micros, timezone(offset))
    except ValueError:
        raise InvalidInput(field, f"is not a valid date and time: {value!r}") from None
    return moment.astimezone(UTC)


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
