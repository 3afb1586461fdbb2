"""Load-test users sign in through the stage's Cognito pool, as a client would.

Each user is created once (admin calls: the operator's credentials, or the local
emulator's), given its users row as ``make user`` gives it (``ops.accounts``: a follow
names users who exist), and signed in with USER_PASSWORD_AUTH; its bearer header is kept
for the run.
"""

from __future__ import annotations

import threading
from typing import Any

from chalicelib.adapters.users_table import DynamoUserStore, bind_user_model
from devstack.user_pool import UserPool, create_user, find_user_pool, sign_in
from ops.accounts import named_users, register_all
from ops.api_keys import stage_environment

__all__ = ["SignIn"]


class SignIn:
    def __init__(self, cognito: Any, stage: str) -> None:
        pool: UserPool | None = find_user_pool(cognito, stage)
        if pool is None:
            raise RuntimeError(f"stage {stage!r} has no user pool to sign load-test users in to")
        self._cognito, self._pool = cognito, pool
        self._users = DynamoUserStore(bind_user_model(stage_environment(stage)["USERS_TABLE"]))
        self._headers: dict[str, dict[str, str]] = {}
        self._made: set[str] = set()
        self._lock = threading.Lock()

    def account(self, user_id: str) -> str:
        """Make ``user_id`` a user of the pool with its users row, once; the id back."""
        with self._lock:
            if user_id in self._made:
                return user_id
        create_user(self._cognito, self._pool, user_id)
        register_all(self._users, named_users(self._cognito, self._pool.pool_id, [user_id]))
        with self._lock:
            self._made.add(user_id)
        return user_id

    def headers(self, user_id: str) -> dict[str, str]:
        """``{"Authorization": "Bearer <id token>"}`` of ``user_id``, signed in on first use."""
        with self._lock:
            known = self._headers.get(user_id)
        if known is not None:
            return known
        self.account(user_id)
        token = sign_in(self._cognito, self._pool, user_id)["IdToken"]
        header = {"Authorization": f"Bearer {token}"}
        with self._lock:
            self._headers[user_id] = header
        return header
