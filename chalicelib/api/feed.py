"""Reading a feed, newest first."""

from __future__ import annotations

from chalice import Blueprint, Response

from .. import wiring
from ..domain.validation import check_limit
from ..identity.middleware import user_route
from .responses import api_view, json_response, query_param

__all__ = ["bp"]

bp = Blueprint(__name__)


@bp.route("/users/{user_id}/feed", methods=["GET"])
@user_route("user_id")
@api_view
def read_feed(user_id: str) -> Response:
    request = bp.current_request
    page = wiring.feed_service().read(
        user_id, check_limit(query_param(request, "limit")), query_param(request, "cursor")
    )
    items = [entry.yubl.to_wire() for entry in page.items]
    return json_response({"items": items, "next_cursor": page.next_cursor})
