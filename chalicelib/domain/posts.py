"""A yubl (a post) and the ``yubl-posted`` event that announces it."""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, TypedDict

from .errors import InvalidInput
from .validation import check_text, check_user_id

__all__ = [
    "YUBL_POSTED",
    "Yubl",
    "YublPostedEvent",
    "YublWire",
    "new_yubl",
    "parse_yubl",
    "parse_yubl_posted",
    "yubl_posted_event",
]

YUBL_POSTED = "yubl-posted"


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


def _iso_millis(moment: datetime) -> str:
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
    millis = int(now.timestamp() * 1000)
    yubl_id = f"{millis:013d}-{suffix or secrets.token_hex(6)}"
    return Yubl(yubl_id=yubl_id, author_id=author, text=body, posted_at=_iso_millis(now))


def yubl_posted_event(yubl: Yubl) -> YublPostedEvent:
    return YublPostedEvent(type=YUBL_POSTED, yubl=yubl.to_wire())


def parse_yubl(wire: Any, field: str = "yubl") -> Yubl:
    """A yubl from its wire form, checked as strictly as a new one."""
    if not isinstance(wire, dict):
        raise InvalidInput(field, "must be an object")
    for name in ("yubl_id", "posted_at"):
        if not isinstance(wire.get(name), str) or not wire[name]:
            raise InvalidInput(f"{field}.{name}", "must be a non-empty string")
    return Yubl(
        yubl_id=wire["yubl_id"],
        author_id=check_user_id(f"{field}.author_id", wire.get("author_id")),
        text=check_text(f"{field}.text", wire.get("text")),
        posted_at=wire["posted_at"],
    )


def parse_yubl_posted(payload: Any) -> Yubl:
    """The yubl inside a ``yubl-posted`` event; anything else is invalid input."""
    if not isinstance(payload, dict):
        raise InvalidInput("event", "must be a JSON object")
    if payload.get("type") != YUBL_POSTED:
        raise InvalidInput("type", f"must be {YUBL_POSTED!r}, got {payload.get('type')!r}")
    return parse_yubl(payload.get("yubl"))
