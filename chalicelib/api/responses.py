"""JSON responses and the one place where domain errors become HTTP statuses."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from chalice import Response
from chalice.app import Request

from ..domain.errors import InvalidInput, NotFound
from ..observability.correlation import CallChainTooLong
from ..observability.logging import logger
from ..services.errors import TemporarilyUnavailable

__all__ = ["api_view", "error_response", "json_object_body", "json_response", "no_content"]

LOOP_DETECTED = 508


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        body=body,
        status_code=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def error_response(message: str, status: int, headers: dict[str, str] | None = None) -> Response:
    """The one error shape of the API: ``{"error": "<message>"}``."""
    return json_response({"error": message}, status, headers)


def no_content() -> Response:
    return Response(body="", status_code=204)


def api_view(view: Callable[..., Response]) -> Callable[..., Response]:
    """Turn the errors a view can meet into ``{"error": ...}``, never a 500.

    Bad input is 400; what the request names and does not exist, 404; a call chain with no
    room left is 508 (Loop Detected); a backing service that cannot take the call now is
    503 with ``Retry-After``.
    """

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        try:
            return view(*args, **kwargs)
        except InvalidInput as err:
            return error_response(str(err), 400)
        except NotFound as err:
            return error_response(str(err), 404)
        except CallChainTooLong as err:
            return error_response(str(err), LOOP_DETECTED)
        except TemporarilyUnavailable as err:
            logger.warning(f"service unavailable: {err}", retry_after=err.retry_after)
            return error_response(
                f"service unavailable, retry after {err.retry_after} s",
                503,
                {"Retry-After": str(err.retry_after)},
            )

    return wrapper


def json_object_body(request: Request, fields: frozenset[str]) -> dict[str, Any]:
    """The request body as a JSON object holding only ``fields`` (each may be missing)."""
    raw = request.raw_body or b""
    try:
        body = json.loads(raw) if raw.strip() else None
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("body", "must be valid JSON") from None
    except RecursionError:
        raise InvalidInput("body", "is nested too deeply") from None
    try:  # "\ud800" is valid JSON, but no UTF-8 store or stream can hold it
        json.dumps(body, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        raise InvalidInput("body", "must not contain unpaired surrogates") from None
    except RecursionError:
        raise InvalidInput("body", "is nested too deeply") from None
    if not isinstance(body, dict):
        raise InvalidInput("body", "must be a JSON object")
    unknown = sorted(set(body) - fields)
    if unknown:
        raise InvalidInput(unknown[0], "is not a known field")
    return body


def query_param(request: Request, name: str) -> str | None:
    params = request.query_params
    return None if params is None else params.get(name)
