"""Cognito's post confirmation trigger: a confirmed account gets its users row.

On AWS this function is the pool's PostConfirmation trigger (``infra/resources.yaml``,
parameter ``PostConfirmationFunctionArn``). Cognito runs it when a sign-up is confirmed
and again on every confirmed password reset (``PostConfirmation_ConfirmForgotPassword``):
the row is written with the one condition every writer uses, inserted if absent, so a
repeat keeps ``created_at`` and a deleted account stays deleted. Should it fail, the
user's first request writes the row (the sign-in middleware); accounts older than the
table get theirs from ``python -m ops.accounts backfill``. AdminCreateUser (``make user``)
runs no trigger, and moto runs none: those paths call ``ops.accounts`` with the same code.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from chalice import Blueprint

from .. import wiring
from ..domain.posts import iso_millis
from ..observability.logging import logger
from .access import is_user_id

__all__ = ["bp", "record_confirmed"]

bp = Blueprint(__name__)


def record_confirmed(
    event: dict[str, Any], register: Callable[[str, str], bool], now: datetime
) -> dict[str, Any]:
    """Write the confirmed user's row (insert if absent); the event unchanged, as Cognito
    expects. A username outside the id format (refused at sign-up) gets no row."""
    username = event.get("userName")
    if not is_user_id(username):
        logger.warning("confirmed user without a user id: no row", username=str(username)[:80])
        return event
    inserted = register(str(username), iso_millis(now))
    logger.info(
        "users row written" if inserted else "users row already there",
        user_id=username,
        trigger=event.get("triggerSource"),
    )
    return event


@bp.lambda_function(name="post_confirmation")
def post_confirmation(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return record_confirmed(event, wiring.user_store().register, datetime.now(UTC))
