"""The framework's own errors in the API's one error shape, ``{"error": "<message>"}``.

Chalice answers some requests before any view runs: 405 for a method the route does
not have, 415 for a body that is not JSON, 400 for ``json_body`` it cannot parse, 500
for an exception that escapes a view. Each comes as ``{"Code", "Message"}``;
``json_errors`` (middleware, registered in app.py) rewrites them. A path no route
matches never reaches the app at all (API Gateway, and Chalice's local gateway, answer
403 "Missing Authentication Token"): ``not_found`` routes catch every unknown path of
up to ``MAX_SEGMENTS`` segments and answer 404. Chalice routes have no greedy
``{proxy+}`` parameter locally, hence one route per depth.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalice import Blueprint, Response
from chalice.app import Request

from .responses import error_response

__all__ = ["MAX_SEGMENTS", "json_errors", "not_found"]

MAX_SEGMENTS = 8
"""Unknown paths up to this many segments get the API's 404; deeper ones the gateway's 403."""

ALL_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"]

not_found = Blueprint(__name__)


def _framework_message(response: Response, request: Request | None) -> str:
    """A message naming what was wrong, from Chalice's ``{"Code", "Message"}`` body."""
    code, message = response.body.get("Code"), str(response.body.get("Message", ""))
    if code == "UnsupportedMediaType" and request is not None:
        content_type = request.headers.get("content-type", "")
        return f"Content-Type: must be application/json, not {content_type}"
    if code == "MethodNotAllowedError" and request is not None:
        allowed = response.headers.get("Allow", "")
        return f"method: {request.method} is not allowed on {request.path} (allowed: {allowed})"
    if code == "BadRequestError" and message == "Error Parsing JSON":
        return "body: must be valid JSON"
    if code == "InternalServerError":
        return "internal error: the request was not completed"
    return message or str(code)


def json_errors(event: Request | None, get_response: Callable[[Any], Any]) -> Response:
    """Rewrite Chalice's error bodies as ``{"error": ...}``, keeping status and headers."""
    response: Response = get_response(event)
    body = response.body
    if response.status_code >= 400 and isinstance(body, dict) and set(body) == {"Code", "Message"}:
        message = _framework_message(response, event)
        response.body = {"error": message}
        response.headers = {
            **{k: v for k, v in response.headers.items() if k.lower() != "content-type"},
            "Content-Type": "application/json",
        }
    return response


def _unknown_path(segments: dict[str, str]) -> Response:
    """404 naming the path as it came (Chalice's ``request.path`` is the route template)."""
    path = "/" + "/".join(segments[f"segment{n}"] for n in range(1, len(segments) + 1))
    method = not_found.current_request.method
    return error_response(f"path: no route for {method} {path}", 404)


def _catch_all(depth: int) -> str:
    return "/" + "/".join(f"{{segment{n}}}" for n in range(1, depth + 1))


def _view(**segments: str) -> Response:
    return _unknown_path(segments)


for _depth in range(MAX_SEGMENTS + 1):
    not_found.route(
        _catch_all(_depth), methods=ALL_METHODS, content_types=["*/*"], name=f"unknown_{_depth}"
    )(_view)
