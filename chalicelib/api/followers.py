"""Following: PUT/DELETE a follower (each also announced on the stream, for the
follower's feed), list a user's followers and whom a user follows."""

from __future__ import annotations

from chalice import Blueprint, Response

from .. import wiring
from ..identity.middleware import user_route
from ..observability.context import current_ids
from ..observability.correlation import check_call_chain
from .entry_pages import read_page
from .responses import api_view, json_response, no_content

__all__ = ["bp"]

bp = Blueprint(__name__)


@bp.route("/users/{user_id}/followers/{follower_id}", methods=["PUT"])
@user_route("follower_id")
@api_view
def follow(user_id: str, follower_id: str) -> Response:
    check_call_chain(current_ids(), hops_ahead=1)  # stream -> distribute_yubl
    wiring.following_service().follow(user_id, follower_id)
    return no_content()


@bp.route("/users/{user_id}/followers/{follower_id}", methods=["DELETE"])
@user_route("follower_id", "user_id")
@api_view
def unfollow(user_id: str, follower_id: str) -> Response:
    check_call_chain(current_ids(), hops_ahead=1)  # stream -> distribute_yubl
    wiring.following_service().unfollow(user_id, follower_id)
    return no_content()


@bp.route("/users/{user_id}/followers", methods=["GET"])
@api_view
def list_followers(user_id: str) -> Response:
    page = read_page(bp.current_request, user_id, wiring.following_service().followers)
    return json_response({"followers": page.items, "next_cursor": page.next_cursor})


@bp.route("/users/{user_id}/following", methods=["GET"])
@user_route("user_id")
@api_view
def list_following(user_id: str) -> Response:
    page = read_page(bp.current_request, user_id, wiring.following_service().following)
    return json_response({"following": page.items, "next_cursor": page.next_cursor})
