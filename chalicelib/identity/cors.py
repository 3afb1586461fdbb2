"""CORS for browser clients: the stage's listed origins may call with a bearer token.

Chalice's ``CORSConfig`` allows a single origin and answers preflights outside the
app (API Gateway's mock integration, ``chalice local``'s own reply), so a list of
origins per stage is done here: ``cors_headers`` (middleware) adds the headers to
every response for a listed ``Origin``, and ``add_preflight_routes`` gives every
path an ``OPTIONS`` route that answers the preflight, public like a browser needs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from chalice import Chalice
from chalice.app import Request, Response

from .settings import cors_allow_origins

__all__ = ["add_preflight_routes", "cors_headers"]

GetResponse = Callable[[Any], Any]
ALLOWED_HEADERS = "Authorization,Content-Type,x-correlation-id"
EXPOSED_HEADERS = "WWW-Authenticate,x-correlation-id"
MAX_AGE_SECONDS = "600"


def _allowed_origin(request: Request) -> str | None:
    origin = (request.headers.get("origin") or "").rstrip("/")
    return origin if origin and origin in cors_allow_origins() else None


def cors_headers(event: Request | None, get_response: GetResponse) -> Response:
    """Add ``Access-Control-Allow-Origin`` (and ``Vary``) for a listed origin."""
    response: Response = get_response(event)
    if event is None:
        return response
    response.headers["Vary"] = "Origin"
    origin = _allowed_origin(event)
    if origin is not None:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    return response


def _preflight(app: Chalice, methods: Iterable[str]) -> Callable[..., Response]:
    allow_methods = ",".join(sorted({*methods, "OPTIONS"}))

    def preflight(**_: str) -> Response:
        request = app.current_request
        assert request is not None
        headers: dict[str, str | list[str]] = {"Vary": "Origin"}
        if _allowed_origin(request) is not None:
            headers.update(
                {
                    "Access-Control-Allow-Methods": allow_methods,
                    "Access-Control-Allow-Headers": ALLOWED_HEADERS,
                    "Access-Control-Max-Age": MAX_AGE_SECONDS,
                }
            )
        return Response(body="", status_code=204, headers=headers)

    return preflight


def add_preflight_routes(app: Chalice) -> None:
    """An ``OPTIONS`` route for every path of ``app`` that has none (call it last)."""
    for number, (path, methods) in enumerate(sorted(app.routes.items())):
        if "OPTIONS" not in methods:
            app.route(path, methods=["OPTIONS"], name=f"preflight_{number}")(
                _preflight(app, list(methods))
            )
