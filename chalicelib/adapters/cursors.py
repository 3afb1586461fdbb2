"""Opaque page cursors: the sort key of the last item a page returned.

Only the sort key travels, never a whole DynamoDB key, so a cursor cannot point a
query at another user's partition.
"""

from __future__ import annotations

import base64
import binascii
import json

from ..domain.errors import InvalidInput

__all__ = ["decode_cursor", "encode_cursor"]


def encode_cursor(sort_key: str) -> str:
    raw = json.dumps({"after": sort_key}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> str | None:
    """The sort key a cursor carries; ``InvalidInput('cursor')`` if it is not one of ours."""
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        after = json.loads(raw)["after"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise InvalidInput("cursor", "is not a cursor this API returned") from None
    if not isinstance(after, str) or not after:
        raise InvalidInput("cursor", "is not a cursor this API returned")
    return after
