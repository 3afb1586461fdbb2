"""Cognito's pre sign-up trigger: only usernames in the user id format may sign up, and
never the id of a deleted account.

A user's id is the pool's username and appears in paths, so it must be 1-64 of
``[A-Za-z0-9_-]``. Cognito cannot express that rule itself; on AWS this function is
the pool's PreSignUp trigger (``infra/resources.yaml``, parameter
``PreSignUpFunctionArn``) and refuses other usernames by raising, which Cognito
turns into a failed SignUp (``UserLambdaValidationException``). A deleted account keeps
its users row (status deleted) for good, and its id stays refused: whoever signs up
next must not inherit its followers' memory of it. moto never runs triggers: locally
``make user`` applies the same rules.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalice import Blueprint

from .. import wiring
from .access import is_user_id

__all__ = ["UsernameRefused", "bp", "check_sign_up"]

bp = Blueprint(__name__)


class UsernameRefused(Exception):
    """The username is outside the user id format, or a deleted account's: the sign-up fails."""


def check_sign_up(
    event: dict[str, Any], deleted: Callable[[str], bool] | None = None
) -> dict[str, Any]:
    """The event unchanged (Cognito's answer to go on) or ``UsernameRefused``."""
    username = event.get("userName")
    if not is_user_id(username):
        raise UsernameRefused(
            f"username {username!r} must be 1-64 characters of A-Z, a-z, 0-9, '_' or '-'"
        )
    if deleted is not None and deleted(str(username)):
        raise UsernameRefused(f"username {username!r} belonged to a deleted account")
    return event


def _deleted(user_id: str) -> bool:
    account = wiring.user_store().get(user_id)
    return account is not None and not account.active


@bp.lambda_function(name="pre_sign_up")
def pre_sign_up(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return check_sign_up(event, deleted=_deleted)
