"""JSON responses and the one place where domain errors become HTTP statuses."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from chalice import Response
from chalice.app import Request

from ..domain.errors import DomainError, InvalidInput

__all__ = ["api_view", "json_object_body", "json_response", "no_content"]


def json_response(body: Any, status: int = 200) -> Response:
    return Response(body=body, status_code=status, headers={"Content-Type": "application/json"})


def no_content() -> Response:
    return Response(body="", status_code=204)


def api_view(view: Callable[..., Response]) -> Callable[..., Response]:
    """Turn a domain error into ``{"error": ...}`` with 400, so bad input never becomes a 500."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        try:
            return view(*args, **kwargs)
        except InvalidInput as err:
            return json_response({"error": str(err)}, 400)
        except DomainError as err:
            return json_response({"error": str(err)}, 409)

    return wrapper


def json_object_body(request: Request, fields: frozenset[str]) -> dict[str, Any]:
    """The request body as a JSON object holding only ``fields`` (each may be missing)."""
    raw = request.raw_body or b""
    try:
        body = json.loads(raw) if raw.strip() else None
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("body", "must be valid JSON") from None
    if not isinstance(body, dict):
        raise InvalidInput("body", "must be a JSON object")
    unknown = sorted(set(body) - fields)
    if unknown:
        raise InvalidInput(unknown[0], "is not a known field")
    return body


def query_param(request: Request, name: str) -> str | None:
    params = request.query_params
    return None if params is None else params.get(name)
