"""The framework's own errors in the API's one error shape, ``{"error": "<message>"}``.

Chalice answers some requests before any view runs: 405 for a method the route does
not have, 415 for a body that is not JSON, 400 for ``json_body`` it cannot parse, 500
for an exception that escapes a view. Each comes as ``{"Code", "Message"}``;
``json_errors`` (middleware, registered in app.py) rewrites them. A path no route
matches never reaches the app at all (API Gateway, and Chalice's local gateway, answer
403 "Missing Authentication Token"): ``unknown_paths`` routes catch every unknown path
of up to ``MAX_SEGMENTS`` segments and answer 404. Chalice routes have no greedy
``{proxy+}`` parameter locally, hence one route per depth. Where the app has such a
path itself (the shortener's ``/{code}``: every one-segment path that is no literal
route), the methods its route lacks answer 405 naming the path as sent, not the
template (``POST /yubl``, a typo, is not "POST on /{code}"). Deployed, API Gateway does
not backtrack: a path that leaves a concrete route part-way (``/users/u/nope``) still
gets its 403 there; a gateway response would be the place to reshape that one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
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


def unknown_paths(
    routes: Mapping[str, Iterable[str]], max_segments: int = MAX_SEGMENTS
) -> Blueprint:
    """Routes answering 404 for every path of up to ``max_segments`` segments ``routes``
    (the app's, path -> methods) lack, and 405 for the methods they lack on such a path.

    Register it after every other blueprint, with the app's routes. Concrete routes
    match first (Chalice locally, API Gateway deployed). Each catch-all reuses the
    variable name an existing route already gives the same position under the same
    parent (``/{code}`` of the shortener, say): API Gateway refuses two sibling
    variables with different names. A catch-all path the app already has keeps its
    methods, and the others answer 405 here: ``POST /yubl`` (a typo of ``/yubls``)
    names ``/yubl``. A literal path the app has is left to it (Chalice answers 405 for
    its other methods, naming the path).
    """
    existing = {path: list(methods) for path, methods in routes.items()}
    variables = _variable_children(set(existing))
    blueprint = Blueprint(__name__)

    def unknown(**_params: str) -> Response:
        request = blueprint.current_request
        return error_response(f"path: no route for {request.method} {_sent(request)}", 404)

    def not_allowed(**_params: str) -> Response:
        request = blueprint.current_request
        allowed = ", ".join(dict.fromkeys([*existing[request.path], "OPTIONS"]))
        message = f"method: {request.method} is not allowed on {_sent(request)}"
        return error_response(message, 405, {"Allow": allowed})

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
        elif depth and (lacking := [m for m in ALL_METHODS if m not in existing[path]]):
            blueprint.route(
                path, methods=lacking, content_types=["*/*"], name=f"unknown_path_{depth}_methods"
            )(not_allowed)
    return blueprint


def _sent(request: Request) -> str:
    """The path as the client sent it: the route's template with its values put back."""
    path = request.path
    for name, value in (request.uri_params or {}).items():
        path = path.replace("{" + name + "}", value)
    return path


def _variable_children(routes: set[str]) -> dict[str, str]:
    """For each route prefix, the name of the variable segment that follows it, if any."""
    children: dict[str, str] = {}
    for route in routes:
        segments = [segment for segment in route.split("/") if segment]
        for depth, segment in enumerate(segments):
            if segment.startswith("{") and segment.endswith("}"):
                children.setdefault("/" + "/".join(segments[:depth]), segment[1:-1])
    return children
