"""Reading a feed, newest first."""

from __future__ import annotations

from chalice import Blueprint, Response

from .. import wiring
from ..identity.middleware import user_route
from .entry_pages import entry_page
from .responses import api_view

__all__ = ["bp"]

bp = Blueprint(__name__)


@bp.route("/users/{user_id}/feed", methods=["GET"])
@user_route("user_id")
@api_view
def read_feed(user_id: str) -> Response:
    return entry_page(bp.current_request, user_id, wiring.feed_service().read)
