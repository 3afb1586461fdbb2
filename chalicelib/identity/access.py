"""Who may act for whom. Pure rules: no SDK, no framework, no token parsing."""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["NotAllowed", "SignedInUser", "acting_author", "check_acting_for", "is_user_id"]

# today's user id format (chalicelib.domain.validation): paths stay readable
_USER_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def is_user_id(value: object) -> bool:
    return isinstance(value, str) and _USER_ID.fullmatch(value) is not None


@dataclass(frozen=True)
class SignedInUser:
    """The caller, as a verified token names them: the pool's username."""

    user_id: str
    token_use: str  # "id" or "access"


class NotAllowed(Exception):
    """A signed-in user asked to act for someone else (HTTP 403)."""


def check_acting_for(user: SignedInUser, fields: dict[str, str]) -> None:
    """Pass when the signed-in user is the value of one of ``fields`` (name -> user id)."""
    if user.user_id not in fields.values():
        names = " or ".join(fields)
        raise NotAllowed(f"{names}: must be the signed-in user {user.user_id}")


def acting_author(user: SignedInUser, claimed: object) -> str:
    """The author of a new post: the signed-in user, whom a claimed ``author_id`` must match."""
    if claimed is not None and claimed != user.user_id:
        raise NotAllowed(f"author_id: must be the signed-in user {user.user_id}")
    return user.user_id
