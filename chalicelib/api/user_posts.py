"""A user's own posts: GET /users/{user_id}/yubls, newest first, paged like the feed."""

from __future__ import annotations

from chalice import Blueprint, Response

from .. import wiring
from .entry_pages import read_page
from .responses import api_view, json_response

__all__ = ["bp"]

bp = Blueprint(__name__)


@bp.route("/users/{user_id}/yubls", methods=["GET"])
@api_view
def list_yubls(user_id: str) -> Response:
    page = read_page(bp.current_request, user_id, wiring.user_posts_service().read)
    items = [yubl.to_wire() for yubl in page.items]
    return json_response({"items": items, "next_cursor": page.next_cursor})
