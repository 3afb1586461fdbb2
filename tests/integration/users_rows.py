"""Users rows written straight into the stage's users table, through the table's own
``register`` (the sign-up trigger's condition): for users a test needs to exist without
signing them in (followed authors, seeded fans)."""

from __future__ import annotations

import os

from chalicelib.adapters.users_table import DynamoUserStore, bind_user_model

__all__ = ["register"]

CREATED_AT = "2026-01-01T00:00:00.000Z"


def register(*user_ids: str) -> tuple[str, ...]:
    """The ids back, each with an active row (kept as it is if it has one)."""
    users = DynamoUserStore(bind_user_model(os.environ.get("USERS_TABLE", "users-local")))
    for user_id in user_ids:
        users.register(user_id, CREATED_AT)
    return user_ids
