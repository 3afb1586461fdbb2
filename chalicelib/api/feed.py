"""Reading a feed, newest first; a reader the fan-out skipped gets a rebuilt feed."""

from __future__ import annotations

from chalice import Blueprint, Response

from .. import wiring
from ..identity.middleware import user_route
from .entry_pages import entry_body, read_page
from .responses import api_view, json_response

__all__ = ["bp"]

bp = Blueprint(__name__)


@bp.route("/users/{user_id}/feed", methods=["GET"])
@user_route("user_id")
@api_view
def read_feed(user_id: str) -> Response:
    found = read_page(bp.current_request, user_id, wiring.feed_reads().read)
    body = entry_body(found.page)
    if found.rebuilt:  # absent otherwise: the shape every other read keeps
        body["rebuilt"] = True
    return json_response(body)
