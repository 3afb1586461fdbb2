"""Mutes: PUT/DELETE a muted author, list whom a user mutes; each for the user only."""

from __future__ import annotations

from chalice import Blueprint, Response

from .. import wiring
from ..identity.middleware import user_route
from .entry_pages import read_page
from .responses import api_view, json_response, no_content

__all__ = ["bp"]

bp = Blueprint(__name__)


@bp.route("/users/{user_id}/mutes/{author_id}", methods=["PUT"])
@user_route("user_id")
@api_view
def mute(user_id: str, author_id: str) -> Response:
    wiring.mute_service().mute(user_id, author_id)
    return no_content()


@bp.route("/users/{user_id}/mutes/{author_id}", methods=["DELETE"])
@user_route("user_id")
@api_view
def unmute(user_id: str, author_id: str) -> Response:
    wiring.mute_service().unmute(user_id, author_id)
    return no_content()


@bp.route("/users/{user_id}/mutes", methods=["GET"])
@user_route("user_id")
@api_view
def list_mutes(user_id: str) -> Response:
    page = read_page(bp.current_request, user_id, wiring.mute_service().muted)
    return json_response({"mutes": page.items, "next_cursor": page.next_cursor})
