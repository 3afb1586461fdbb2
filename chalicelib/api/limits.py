"""Request size limits: 413 for a body, 431 for headers, in the API's one error body.

API Gateway caps a payload at 10 MB and Chalice's local server a header line at 64 KiB;
both are far above what any route needs, and a view should never parse megabytes it
will refuse. ``MAX_REQUEST_BODY_BYTES`` and ``MAX_REQUEST_HEADER_BYTES`` set the limits.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from chalice import Response
from chalice.app import Request

from ..settings_catalog import declared, read_int
from .responses import error_response

__all__ = ["DEFAULT_BODY_BYTES", "DEFAULT_HEADER_BYTES", "limits", "size_limits"]

DEFAULT_BODY_BYTES = int(declared("MAX_REQUEST_BODY_BYTES").default)
"""Room for the config service's largest value (64 KiB of JSON) in its request body."""
DEFAULT_HEADER_BYTES = int(declared("MAX_REQUEST_HEADER_BYTES").default)


@cache
def limits(env: Mapping[str, str] = os.environ) -> tuple[int, int]:
    """(body bytes, header bytes) allowed, from the environment."""
    return read_int(env, "MAX_REQUEST_BODY_BYTES"), read_int(env, "MAX_REQUEST_HEADER_BYTES")


def size_limits(event: Request, get_response: Callable[[Any], Any]) -> Response:
    """Refuse an oversized request before any view reads it."""
    max_body, max_headers = limits()
    body = event.raw_body or b""
    if len(body) > max_body:
        return error_response(f"body: is {len(body)} bytes; the limit is {max_body}", 413)
    header_bytes = sum(len(k) + len(v) + 4 for k, v in (event.headers or {}).items())
    if header_bytes > max_headers:
        return error_response(f"headers: are {header_bytes} bytes; the limit is {max_headers}", 431)
    response: Response = get_response(event)
    return response
