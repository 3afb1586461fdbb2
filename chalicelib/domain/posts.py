"""A yubl (a post) and the ``yubl-posted`` event that announces it."""

from __future__ import annotations

import re
import secrets
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypedDict

from .errors import InvalidInput
from .validation import check_envelope, check_format, check_text, check_user_id, check_utc_time

__all__ = [
    "DEFAULT_MAX_CLOCK_SKEW",
    "YUBL_POSTED",
    "Yubl",
    "YublPostedEvent",
    "YublWire",
    "check_posted_at",
    "check_yubl_id",
    "iso_millis",
    "new_yubl",
    "parse_yubl",
    "parse_yubl_posted",
    "yubl_posted_event",
]

YUBL_POSTED = "yubl-posted"
DEFAULT_MAX_CLOCK_SKEW = timedelta(seconds=60)
"""How far in the future a ``posted_at`` may be: the poster's and reader's clocks differ."""

_YUBL_ID = re.compile(r"[0-9]{13}-[0-9a-f]{12}")
_SUFFIX = re.compile(r"[0-9a-f]{12}")


class YublWire(TypedDict):
    yubl_id: str
    author_id: str
    text: str
    posted_at: str


class YublPostedEvent(TypedDict):
    type: str
    yubl: YublWire


@dataclass(frozen=True)
class Yubl:
    yubl_id: str
    author_id: str
    text: str
    posted_at: str  # ISO 8601, UTC, millisecond precision

    def to_wire(self) -> YublWire:
        return YublWire(**asdict(self))  # type: ignore[typeddict-item]


def iso_millis(moment: datetime) -> str:
    """A moment as the API writes times: ISO 8601, UTC, milliseconds, ``Z``."""
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def new_yubl(author_id: Any, text: Any, now: datetime, suffix: str | None = None) -> Yubl:
    """A new yubl, validated.

    The id starts with the posting time in milliseconds, so ids sort in posting order:
    a feed read newest-first is a reverse range query on the id.
    """
    author = check_user_id("author_id", author_id)
    body = check_text("text", text)
    if suffix is not None and not _SUFFIX.fullmatch(suffix):
        raise ValueError(f"a yubl id suffix is 12 lowercase hex digits, got {suffix!r}")
    millis = int(now.timestamp() * 1000)
    yubl_id = f"{millis:013d}-{suffix or secrets.token_hex(6)}"
    return Yubl(yubl_id=yubl_id, author_id=author, text=body, posted_at=iso_millis(now))


def yubl_posted_event(yubl: Yubl) -> YublPostedEvent:
    return YublPostedEvent(type=YUBL_POSTED, yubl=yubl.to_wire())


def check_yubl_id(field: str, value: Any) -> str:
    """The id format ``new_yubl`` makes: 13 digits of milliseconds, ``-``, 12 hex digits."""
    return check_format(field, value, _YUBL_ID, "13 digits, '-' and 12 lowercase hex digits")


def check_posted_at(
    field: str, value: Any, now: datetime, max_skew: timedelta = DEFAULT_MAX_CLOCK_SKEW
) -> str:
    """An RFC 3339 time (``TIME_RULE``) not later than ``now`` plus the allowed clock
    skew, in the stored form: UTC, milliseconds, ``Z`` (``iso_millis``), whatever offset
    and precision it came with."""
    moment = check_utc_time(field, value)
    if moment > now + max_skew:
        raise InvalidInput(
            field,
            f"is in the future ({value}; now {iso_millis(now)}, "
            f"allowed clock skew {max_skew.total_seconds():g} s)",
        )
    return iso_millis(moment)


def parse_yubl(
    wire: Any,
    field: str = "yubl",
    now: datetime | None = None,
    max_skew: timedelta = DEFAULT_MAX_CLOCK_SKEW,
) -> Yubl:
    """A yubl from its wire form (a stream record, a queue message), checked like HTTP input.

    ``now`` (default: the current time) bounds ``posted_at`` from above.
    """
    if not isinstance(wire, dict):
        raise InvalidInput(field, "must be an object")
    return Yubl(
        yubl_id=check_yubl_id(f"{field}.yubl_id", wire.get("yubl_id")),
        author_id=check_user_id(f"{field}.author_id", wire.get("author_id")),
        text=check_text(f"{field}.text", wire.get("text")),
        posted_at=check_posted_at(
            f"{field}.posted_at", wire.get("posted_at"), now or datetime.now(UTC), max_skew
        ),
    )


def parse_yubl_posted(
    payload: Any, now: datetime | None = None, max_skew: timedelta = DEFAULT_MAX_CLOCK_SKEW
) -> Yubl:
    """The yubl inside a ``yubl-posted`` event; anything else is invalid input."""
    payload = check_envelope(payload, (YUBL_POSTED,))
    return parse_yubl(payload.get("yubl"), now=now, max_skew=max_skew)
