"""The posts API: POST /yubls announces a new yubl on the stream, DELETE
/users/{user_id}/yubls/{yubl_id} its deletion (same stream, same partition key)."""

from __future__ import annotations

from chalice import Blueprint, Response

from .. import wiring
from ..identity.access import acting_author
from ..identity.middleware import signed_in_user, user_route
from ..observability.context import current_ids
from ..observability.correlation import check_call_chain
from ..observability.logging import logger
from ..observability.metrics import POSTS_PUBLISHED, count
from .responses import api_view, json_object_body, json_response

__all__ = ["HOPS_AHEAD", "bp"]

bp = Blueprint(__name__)

HOPS_AHEAD = 2
"""Hops a post takes after the API: stream -> distribute_yubl, feed topic -> add_to_feed.

A request whose chain has no room for both is refused here (508) rather than
accepted with 202 and refused by the loop guard of a function downstream.
"""


@bp.route("/yubls", methods=["POST"])
@user_route()
@api_view
def post_yubl() -> Response:
    check_call_chain(current_ids(), hops_ahead=HOPS_AHEAD)
    body = json_object_body(bp.current_request, frozenset({"author_id", "text"}))
    author_id = acting_author(signed_in_user(), body.get("author_id"))
    yubl = wiring.posting_service().post(author_id, body.get("text"))
    logger.info("yubl posted", yubl_id=yubl.yubl_id, author_id=yubl.author_id)
    count(POSTS_PUBLISHED)
    return json_response({"yubl_id": yubl.yubl_id, "posted_at": yubl.posted_at}, 202)


@bp.route("/users/{user_id}/yubls/{yubl_id}", methods=["DELETE"])
@user_route("user_id")
@api_view
def delete_yubl(user_id: str, yubl_id: str) -> Response:
    check_call_chain(current_ids(), hops_ahead=1)  # stream -> distribute_yubl
    deleted = wiring.posting_service().delete(user_id, yubl_id)
    logger.info("yubl deleted", yubl_id=deleted.yubl_id, author_id=deleted.author_id)
    return json_response({"yubl_id": deleted.yubl_id, "deleted_at": deleted.deleted_at}, 202)
