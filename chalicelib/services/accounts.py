"""Accounts: the one answer to "does this user exist", the public profile, and deleting.

The users table answers existence for the follow and mute routes (a 404 naming the field),
for mentions and for the sign-in middleware. Deleting an account does at once what must
be true at once (the sign-in pool refuses the user, the row says deleted) and hands the
rest to the ``user-deleted`` event (``services/account_deletion.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from ..domain.accounts import Account, UserDeleted, user_deleted_event
from ..domain.errors import NotFound
from ..domain.posts import iso_millis
from ..domain.validation import check_user_id
from .ports import AuthorIndex, EventPublisher

__all__ = [
    "AccountService",
    "Profile",
    "SignInPool",
    "UserStore",
    "require_active",
]


class UserStore(Protocol):
    """The users table: one row per confirmed account (``domain/accounts.py``)."""

    def register(self, user_id: str, created_at: str) -> bool:
        """Insert an active row unless one is there (whatever its status); True if this
        call inserted it."""
        ...

    def get(self, user_id: str) -> Account | None:
        """The row, read strongly consistent; None if there is none."""
        ...

    def accounts(self, user_ids: Sequence[str], consistent: bool = False) -> dict[str, Account]:
        """The rows of those that have one (one batched read; eventually consistent
        unless ``consistent``)."""
        ...

    def mark_deleted(self, user_id: str, deleted_at: str) -> Account:
        """Set status deleted, and ``deleted_at`` unless set already (a repeat keeps the
        first); a missing row is written deleted. The row as stored."""
        ...

    def mark_erased(self, user_id: str, erased_at: str) -> None:
        """Record that everything the deletion removes is gone (a deleted row only)."""
        ...


class SignInPool(Protocol):
    """The sign-in pool's side of a deletion; a user the pool lacks is no error."""

    def disable(self, user_id: str) -> None: ...

    def sign_out(self, user_id: str) -> None:
        """Revoke every refresh token (and the access tokens Cognito checks itself)."""
        ...


@dataclass(frozen=True)
class Profile:
    user_id: str
    created_at: str
    followers: int


def require_active(users: UserStore, fields: Mapping[str, str]) -> None:
    """``NotFound`` naming the first of ``fields`` (name -> user id) with no active account:
    one batched read for them all."""
    found = users.accounts(list(dict.fromkeys(fields.values())))
    for field, user in fields.items():
        account = found.get(user)
        if account is None:
            raise NotFound(field, f"no user {user}")
        if not account.active:
            raise NotFound(field, f"user {user} deleted their account")


class AccountService:
    def __init__(
        self,
        users: UserStore,
        pool: SignInPool,
        events: EventPublisher,
        authors: AuthorIndex,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        on_deleted: Callable[[str], None] | None = None,
    ) -> None:
        self._users = users
        self._pool = pool
        self._events = events
        self._authors = authors
        self._clock = clock
        self._on_deleted = on_deleted

    def profile(self, user_id: Any) -> Profile:
        """The public profile; an unknown or deleted account is ``NotFound``."""
        user = check_user_id("user_id", user_id)
        account = self._users.get(user)
        if account is None or not account.active:
            raise NotFound("user_id", f"no user {user}")
        return Profile(user, account.created_at, self._authors.follower_count(user))

    def delete(self, user_id: Any) -> UserDeleted:
        """Disable and sign out the user, mark the row deleted, announce ``user-deleted``.

        Every step is idempotent and a repeat answers the first ``deleted_at``: a DELETE
        that failed part-way (503) is made whole by the client's retry.
        """
        user = check_user_id("user_id", user_id)
        account = self._users.mark_deleted(user, iso_millis(self._clock()))
        if self._on_deleted is not None:
            self._on_deleted(user)  # this container refuses the user's tokens from now on
        self._pool.disable(user)
        self._pool.sign_out(user)
        deleted = UserDeleted(user, account.deleted_at or iso_millis(self._clock()))
        self._events.publish(user_deleted_event(deleted), partition_key=user)
        return deleted

    def require_active(self, fields: Mapping[str, str]) -> None:
        require_active(self._users, fields)
