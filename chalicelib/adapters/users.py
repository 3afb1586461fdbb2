"""UserDirectory: who exists is who is in the sign-in pool (Cognito).

A mention of an id nobody signed up with gets no notification. One AdminGetUser per id
(a yubl honours at most 10 mentions); a missing user is an answer, any other error is
raised, so the failure policy retries the record.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

__all__ = ["AnyValidUser", "CognitoUsers"]


class CognitoUsers:
    def __init__(self, cognito_client: Any, user_pool_id: str) -> None:
        self._cognito = cognito_client
        self._pool_id = user_pool_id

    def existing(self, user_ids: Sequence[str]) -> set[str]:
        return {user_id for user_id in user_ids if self._exists(user_id)}

    def _exists(self, user_id: str) -> bool:
        try:
            self._cognito.admin_get_user(UserPoolId=self._pool_id, Username=user_id)
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") == "UserNotFoundException":
                return False
            raise
        return True


class AnyValidUser:
    """Every valid id is a user: the in-memory twin for tests that need no pool."""

    def existing(self, user_ids: Sequence[str]) -> set[str]:
        return set(user_ids)  # ids reaching here passed check_user_id already
