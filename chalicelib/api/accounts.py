"""Accounts: the public profile, deleting one's account, exporting one's data.

``GET /users/{user_id}`` is public; the rest act only for the signed-in user. A deletion
answers 202 once the account is refused everywhere it must be at once (the sign-in pool,
the users row); the rest goes on through the ``user-deleted`` event. A repeated DELETE,
with the same token, answers the same (it is the one route a deleted account's token
still reaches).
"""

from __future__ import annotations

from chalice import Blueprint, Response

from .. import wiring
from ..identity.middleware import user_route
from ..observability.context import current_ids
from ..observability.correlation import check_call_chain
from ..observability.logging import logger
from .responses import api_view, json_response

__all__ = ["DELETE_HOPS_AHEAD", "admits", "bp"]

bp = Blueprint(__name__)

DELETE_HOPS_AHEAD = 3
"""Hops a deletion takes after the API: stream -> distribute_yubl, accounts queue ->
delete_account, feed topic -> add_to_feed (a large account adds the range workers' hop)."""


def admits(user_id: str) -> bool:
    """The sign-in middleware's account check (``services/account_gate.py``)."""
    return wiring.account_gate().admits(user_id)


@bp.route("/users/{user_id}", methods=["GET"])
@api_view
def read_profile(user_id: str) -> Response:
    profile = wiring.account_service().profile(user_id)
    return json_response(
        {
            "user_id": profile.user_id,
            "created_at": profile.created_at,
            "followers": profile.followers,
        }
    )


@bp.route("/users/{user_id}", methods=["DELETE"])
@user_route("user_id", deleted_account=True)
@api_view
def delete_account(user_id: str) -> Response:
    check_call_chain(current_ids(), hops_ahead=DELETE_HOPS_AHEAD)
    deleted = wiring.account_service().delete(user_id)
    logger.info("account deleted", user_id=deleted.user_id, deleted_at=deleted.deleted_at)
    return json_response({"user_id": deleted.user_id, "deleted_at": deleted.deleted_at}, 202)


@bp.route("/users/{user_id}/exports", methods=["POST"])
@user_route("user_id")
@api_view
def request_export(user_id: str) -> Response:
    check_call_chain(current_ids(), hops_ahead=1)  # exports queue -> export_account
    request = wiring.export_service().request(user_id)
    logger.info("export requested", user_id=request.user_id, export_id=request.export_id)
    return json_response({"export_id": request.export_id}, 202)


@bp.route("/users/{user_id}/exports/{export_id}", methods=["GET"])
@user_route("user_id")
@api_view
def read_export(user_id: str, export_id: str) -> Response:
    status = wiring.export_service().status(user_id, export_id)
    return json_response(
        {"status": status.status, "url": status.url, "expires_at": status.expires_at}
    )
