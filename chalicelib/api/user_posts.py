"""A user's own posts: GET /users/{user_id}/yubls, newest first, paged like the feed."""

from __future__ import annotations

from chalice import Blueprint, Response

from .. import wiring
from ..domain.validation import check_limit
from .responses import api_view, json_response, query_param

__all__ = ["bp"]

bp = Blueprint(__name__)


@bp.route("/users/{user_id}/yubls", methods=["GET"])
@api_view
def list_yubls(user_id: str) -> Response:
    request = bp.current_request
    page = wiring.user_posts_service().read(
        user_id, check_limit(query_param(request, "limit")), query_param(request, "cursor")
    )
    items = [yubl.to_wire() for yubl in page.items]
    return json_response({"items": items, "next_cursor": page.next_cursor})
