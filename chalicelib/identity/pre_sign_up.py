"""Cognito's pre sign-up trigger: only usernames in the user id format may sign up.

A user's id is the pool's username and appears in paths, so it must be 1-64 of
``[A-Za-z0-9_-]``. Cognito cannot express that rule itself; on AWS this function is
the pool's PreSignUp trigger (``infra/resources.yaml``, parameter
``PreSignUpFunctionArn``) and refuses other usernames by raising, which Cognito
turns into a failed SignUp (``UserLambdaValidationException``). moto never runs
triggers: locally ``make user`` applies the same rule.
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from .access import is_user_id

__all__ = ["UsernameRefused", "bp", "check_sign_up"]

bp = Blueprint(__name__)


class UsernameRefused(Exception):
    """The username is outside the user id format: the sign-up fails."""


def check_sign_up(event: dict[str, Any]) -> dict[str, Any]:
    """The event unchanged (Cognito's answer to go on) or ``UsernameRefused``."""
    username = event.get("userName")
    if not is_user_id(username):
        raise UsernameRefused(
            f"username {username!r} must be 1-64 characters of A-Z, a-z, 0-9, '_' or '-'"
        )
    return event


@bp.lambda_function(name="pre_sign_up")
def pre_sign_up(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return check_sign_up(event)
