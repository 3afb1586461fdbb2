"""Exporting one's data: the request a worker takes from the exports queue, and the file.

The export is one JSON-lines file, a line per thing the API shows of the user, each line
an object with a ``type``: ``profile`` first, then every ``post`` (newest first, as
``GET /users/{id}/yubls`` pages them), ``following``, ``follower``, ``mute`` and
``notification`` (newest first). The HTTP API's own shapes are kept inside each line, so
an export reads like the answers of the routes it stands for.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypedDict

from .posts import DEFAULT_MAX_CLOCK_SKEW, Yubl, check_posted_at, iso_millis
from .validation import check_envelope, check_format, check_user_id

__all__ = [
    "EXPORT_REQUESTED",
    "ExportRequest",
    "check_export_id",
    "export_line",
    "export_request",
    "export_request_message",
    "parse_export_request",
    "post_line",
]

EXPORT_REQUESTED = "export-requested"
_EXPORT_ID = re.compile(r"[0-9a-f]{32}")


class ExportRequestMessage(TypedDict):
    type: str
    user_id: str
    export_id: str
    requested_at: str


@dataclass(frozen=True)
class ExportRequest:
    user_id: str
    export_id: str
    requested_at: str  # ISO 8601, UTC, milliseconds


def check_export_id(field: str, value: Any) -> str:
    return check_format(field, value, _EXPORT_ID, "32 lowercase hex digits")


def export_request(user_id: Any, now: datetime, export_id: str | None = None) -> ExportRequest:
    """A new export of ``user_id``'s data, with a fresh random id."""
    user = check_user_id("user_id", user_id)
    chosen = check_export_id("export_id", export_id or secrets.token_hex(16))
    return ExportRequest(user, chosen, iso_millis(now))


def export_request_message(request: ExportRequest) -> ExportRequestMessage:
    return ExportRequestMessage(
        type=EXPORT_REQUESTED,
        user_id=request.user_id,
        export_id=request.export_id,
        requested_at=request.requested_at,
    )


def parse_export_request(
    payload: Any, now: datetime, max_skew: timedelta = DEFAULT_MAX_CLOCK_SKEW
) -> ExportRequest:
    """The request of an exports-queue message, checked like HTTP input."""
    payload = check_envelope(payload, (EXPORT_REQUESTED,), "message")
    return ExportRequest(
        user_id=check_user_id("user_id", payload.get("user_id")),
        export_id=check_export_id("export_id", payload.get("export_id")),
        requested_at=check_posted_at("requested_at", payload.get("requested_at"), now, max_skew),
    )


def export_line(kind: str, **fields: Any) -> str:
    """One line of the file: ``{"type": kind, ...fields}`` as compact JSON."""
    return json.dumps({"type": kind, **fields}, separators=(",", ":"), ensure_ascii=False)


def post_line(kind: str, yubl: Yubl) -> str:
    """A post (``post``) or a notification (``notification``): the yubl as the API shows it."""
    return export_line(kind, **yubl.to_wire())
