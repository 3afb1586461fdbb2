"""Following: PUT/DELETE a follower, list a user's followers."""

from __future__ import annotations

from chalice import Blueprint, Response

from .. import wiring
from ..domain.validation import check_limit
from ..identity.middleware import user_route
from .responses import api_view, json_response, no_content, query_param

__all__ = ["bp"]

bp = Blueprint(__name__)


@bp.route("/users/{user_id}/followers/{follower_id}", methods=["PUT"])
@user_route("follower_id")
@api_view
def follow(user_id: str, follower_id: str) -> Response:
    wiring.following_service().follow(user_id, follower_id)
    return no_content()


@bp.route("/users/{user_id}/followers/{follower_id}", methods=["DELETE"])
@user_route("follower_id", "user_id")
@api_view
def unfollow(user_id: str, follower_id: str) -> Response:
    wiring.following_service().unfollow(user_id, follower_id)
    return no_content()


@bp.route("/users/{user_id}/followers", methods=["GET"])
@api_view
def list_followers(user_id: str) -> Response:
    request = bp.current_request
    page = wiring.following_service().followers(
        user_id, check_limit(query_param(request, "limit")), query_param(request, "cursor")
    )
    return json_response({"followers": page.items, "next_cursor": page.next_cursor})
