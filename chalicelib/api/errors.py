"""The framework's own errors in the API's one error shape, ``{"error": "<message>"}``.

Chalice answers some requests before any view runs: 405 for a method the route does
not have, 415 for a body that is not JSON, 400 for ``json_body`` it cannot parse, 500
for an exception that escapes a view. Each comes as ``{"Code", "Message"}``;
``json_errors`` (middleware, registered in app.py) rewrites them. A path no route
matches never reaches the app at all (API Gateway, and Chalice's local gateway, answer
403 "Missing Authentication Token"): ``unknown_paths`` routes catch every unknown path
of up to ``MAX_SEGMENTS`` segments and answer 404. Chalice routes have no greedy
``{proxy+}`` parameter locally, hence one route per depth. Deployed, API Gateway does
not backtrack: a path that leaves a concrete route part-way (``/users/u/nope``) still
gets its 403 there; a gateway response would be the place to reshape that one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from chalice import Blueprint, Response
from chalice.app import Request

from .responses import error_response

__all__ = ["MAX_SEGMENTS", "json_errors", "unknown_paths"]

MAX_SEGMENTS = 8
"""Unknown paths up to this many segments get the API's 404; deeper ones the gateway's 403."""

ALL_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"]


def _framework_message(response: Response, request: Request | None) -> str:
    """A message naming what was wrong, from Chalice's ``{"Code", "Message"}`` body."""
    code, message = response.body.get("Code"), str(response.body.get("Message", ""))
    if code == "UnsupportedMediaType" and request is not None:
        content_type = request.headers.get("content-type", "")
        return f"Content-Type: {content_type} is not accepted; send application/json"
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


def unknown_paths(routes: Iterable[str], max_segments: int = MAX_SEGMENTS) -> Blueprint:
    """Routes answering 404 for every path of up to ``max_segments`` segments ``routes`` lack.

    Register it after every other blueprint, with the app's routes. Concrete routes
    match first (Chalice locally, API Gateway deployed). Each catch-all reuses the
    variable name an existing route already gives the same position under the same
    parent (``/{code}`` of the shortener, say): API Gateway refuses two sibling
    variables with different names. A path the app already has is left to it (Chalice
    answers 405 for its other methods).
    """
    existing = set(routes)
    variables = _variable_children(existing)
    blueprint = Blueprint(__name__)

    def unknown(**_params: str) -> Response:
        request = blueprint.current_request
        path = request.path
        for name, value in (request.uri_params or {}).items():
            path = path.replace("{" + name + "}", value)
        return error_response(f"path: no route for {request.method} {path}", 404)

    parts: list[str] = []
    for depth in range(max_segments + 1):
        if depth:
            name = variables.get("/" + "/".join(parts)) or f"segment{depth}"
            if f"{{{name}}}" in parts:
                name = f"segment{depth}"
            parts.append(f"{{{name}}}")
        path = "/" + "/".join(parts)
        if path not in existing:
            blueprint.route(
                path, methods=ALL_METHODS, content_types=["*/*"], name=f"unknown_path_{depth}"
            )(unknown)
    return blueprint


def _variable_children(routes: set[str]) -> dict[str, str]:
    """For each route prefix, the name of the variable segment that follows it, if any."""
    children: dict[str, str] = {}
    for route in routes:
        segments = [segment for segment in route.split("/") if segment]
        for depth, segment in enumerate(segments):
            if segment.startswith("{") and segment.endswith("}"):
                children.setdefault("/" + "/".join(segments[:depth]), segment[1:-1])
    return children
