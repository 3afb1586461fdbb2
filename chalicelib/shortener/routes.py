"""The shortener's HTTP routes: every one public, all in this one blueprint.

Literal routes of the app (``/health``, ``/links/...``, ...) win over ``/{code}`` in
API Gateway and in Chalice's local router alike (it tries routes in sorted order, and
``{`` sorts after every character of a literal path); no slug may take a reserved path.
So every other one-segment path lands on ``/{code}``: it answers GET and HEAD (and the
CORS preflight's OPTIONS), and a GET of a path that is no link says so for the path
(``path: no route or short link for /posts``); the other methods are 405 naming the
path (``api.errors.unknown_paths``).
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import segno
from chalice import Blueprint, Response
from chalice.app import Request

from ..api.responses import json_object_body, json_response
from ..domain.errors import InvalidInput
from .page import CONTENT_SECURITY_POLICY, error_page, index_page
from .rules import InvalidLink, Link, LinkExpired, LinkNotFound, ShortenerError, SlugTaken
from .settings import shortener_settings
from .wiring import shortener_service

__all__ = ["bp"]

bp = Blueprint(__name__)

_FIELDS = frozenset({"url", "slug", "expires_at"})
_FORM = "application/x-www-form-urlencoded"
_STATUS = {InvalidLink: 400, SlugTaken: 409, LinkNotFound: 404, LinkExpired: 410}


def _status(err: ShortenerError) -> int:
    return _STATUS.get(type(err), 400)


def _html(body: str, status: int = 200) -> Response:
    return Response(
        body=body,
        status_code=status,
        headers={
            "Content-Type": "text/html; charset=utf-8",
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        },
    )


def _wants_html(request: Request) -> bool:
    return "text/html" in (request.headers.get("accept") or "")


def _origin(request: Request) -> tuple[str, str]:
    """(scheme, host[:port]) the client used to reach us."""
    proto = (request.headers.get("x-forwarded-proto") or "http").split(",")[0].strip()
    return proto, request.headers.get("host") or "localhost"


def _base_url(request: Request) -> str:
    configured = shortener_settings().base_url
    if configured:
        return configured
    proto, host = _origin(request)
    stage = (request.context or {}).get("stage")
    # API Gateway's own domain serves the app under /<stage>; a custom domain does not.
    prefix = f"/{stage}" if stage and host.endswith(".amazonaws.com") else ""
    return f"{proto}://{host}{prefix}"


def _own_origins(request: Request) -> frozenset[tuple[str, int]]:
    origins = set()
    for url in (_base_url(request), "{}://{}".format(*_origin(request))):
        parts = urlsplit(url)
        default = 443 if parts.scheme == "https" else 80
        try:
            origins.add(((parts.hostname or "").lower(), parts.port or default))
        except ValueError:
            continue
    return frozenset(origins)


def _form_fields(request: Request) -> dict[str, str]:
    raw = request.raw_body or b""
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", errors="replace")
    return {k: v[0] for k, v in parse_qs(raw).items() if k in _FIELDS}


@bp.route("/", methods=["GET"])
def shortener_index() -> Response:
    return _html(index_page())


@bp.route("/", methods=["POST"], content_types=["application/json", _FORM])
def shortener_create() -> Response:
    request = bp.current_request
    from_form = (request.headers.get("content-type") or "").startswith(_FORM)
    fields: dict[str, object] = {}
    try:
        fields = dict(_form_fields(request)) if from_form else json_object_body(request, _FIELDS)
        link = shortener_service().shorten(
            fields.get("url"),
            fields.get("slug"),
            fields.get("expires_at"),
            own_origins=_own_origins(request),
        )
    except InvalidInput as err:
        return json_response({"error": str(err)}, 400)
    except ShortenerError as err:
        if from_form:
            values = {k: str(v) for k, v in fields.items()}
            return _html(index_page(values, error=str(err)), _status(err))
        return json_response({"error": str(err)}, _status(err))
    short_url = f"{_base_url(request)}/{link.code}"
    if from_form:
        qr_url = f"{_base_url(request)}/links/{link.code}/qr.svg"
        return _html(index_page(short_url=short_url, qr_url=qr_url), 201)
    return json_response({"code": link.code, "short_url": short_url, "url": link.url}, 201)


def _not_followed(status: int, message: str) -> Response:
    if _wants_html(bp.current_request):
        return _html(error_page(status, message), status)
    return json_response({"error": message}, status)


def _follow(code: str, count: bool) -> Response:
    """The redirect of ``code``'s link (a visit counted if ``count``), or why there is none."""
    service = shortener_service()
    try:
        link = service.follow(code, count=count)
    except LinkNotFound:  # also a path that cannot be a code: it is no route either
        return _not_followed(404, f"path: no route or short link for /{code}")
    except ShortenerError as err:
        return _not_followed(_status(err), str(err))
    settings = shortener_settings()
    max_age = settings.redirect_max_age
    left = link.seconds_left(service.now())
    if left is not None:
        max_age = min(max_age, left)
    return Response(
        body="",
        status_code=settings.redirect_status,
        headers={"Location": link.url, "Cache-Control": f"private, max-age={max_age}"},
    )


@bp.route("/{code}", methods=["GET"])
def shortener_redirect(code: str) -> Response:
    return _follow(code, count=True)


@bp.route("/{code}", methods=["HEAD"])
def shortener_redirect_head(code: str) -> Response:
    """What GET answers, without the body, and no visit counted (link checkers, previews)."""
    response = _follow(code, count=False)
    response.body = ""
    return response


def _described(link: Link) -> dict[str, object]:
    return {
        "code": link.code,
        "url": link.url,
        "visits": link.visits,
        "created_at": link.created_at,
        "expires_at": link.expires_at,
    }


def _json_errors(view: Callable[..., Response]) -> Callable[..., Response]:
    """A ShortenerError from ``view`` becomes ``{"error": ...}`` with its status."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        try:
            return view(*args, **kwargs)
        except ShortenerError as err:
            return json_response({"error": str(err)}, _status(err))

    return wrapper


@bp.route("/links/{code}", methods=["GET"])
@_json_errors
def shortener_link(code: str) -> Response:
    return json_response(_described(shortener_service().describe(code)))


@bp.route("/links/{code}/qr.svg", methods=["GET"])
@_json_errors
def shortener_qr(code: str) -> Response:
    link = shortener_service().describe(code)
    svg = io.BytesIO()
    segno.make(f"{_base_url(bp.current_request)}/{link.code}", error="m").save(
        svg, kind="svg", scale=4, border=2, title=f"QR code of {link.code}"
    )
    return Response(
        body=svg.getvalue().decode(),
        status_code=200,
        headers={"Content-Type": "image/svg+xml", "Cache-Control": "public, max-age=86400"},
    )


def _association() -> Response:
    return Response(
        body=shortener_settings().apple_app_site_association,
        status_code=200,
        headers={"Content-Type": "application/json"},
    )


@bp.route("/apple-app-site-association", methods=["GET"])
def shortener_aasa() -> Response:
    return _association()


@bp.route("/.well-known/apple-app-site-association", methods=["GET"])
def shortener_aasa_well_known() -> Response:
    return _association()
