"""The sign-in pool (Cognito) in a deletion: the user disabled and signed out everywhere.

Who exists is the users table's answer (``users_table.DynamoUserStore``), not the pool's:
a deleted account is still in the pool, disabled, and mentions, follows and mutes must
not see it. A user the pool does not hold is no error here (removed by an operator, say):
what must hold afterwards, that they cannot sign in, holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

__all__ = ["AnyValidUser", "CognitoSignInPool"]


class CognitoSignInPool:
    def __init__(self, cognito_client: Any, user_pool_id: str) -> None:
        self._cognito = cognito_client
        self._pool_id = user_pool_id

    def disable(self, user_id: str) -> None:
        self._call(self._cognito.admin_disable_user, user_id)

    def sign_out(self, user_id: str) -> None:
        self._call(self._cognito.admin_user_global_sign_out, user_id)

    def _call(self, operation: Any, user_id: str) -> None:
        try:
            operation(UserPoolId=self._pool_id, Username=user_id)
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") != "UserNotFoundException":
                raise


class AnyValidUser:
    """Every valid id is a user: the in-memory twin for tests that need no users table."""

    def existing(self, user_ids: Sequence[str]) -> set[str]:
        return set(user_ids)  # ids reaching here passed check_user_id already
