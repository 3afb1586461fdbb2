"""The users table through PynamoDB: ``services.accounts.UserStore`` and, for mentions,
``UserDirectory`` (who exists: an active row).

Every writer of a row goes through ``register``: the sign-up trigger, the sign-in
middleware, ``make user`` and the backfill (``ops/accounts.py``), so the condition is the
same on every path.
"""

from __future__ import annotations

from collections.abc import Sequence

from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import PutError
from pynamodb.models import Model

from ..domain.accounts import ACTIVE, DELETED, Account
from .dynamodb_models import _bind

__all__ = ["DynamoUserStore", "UserModel", "bind_user_model"]


class UserModel(Model):
    """One confirmed account: ``status`` active or deleted (``deleted_at`` then set)."""

    user_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute()
    status = UnicodeAttribute()
    deleted_at = UnicodeAttribute(null=True)
    erased_at = UnicodeAttribute(null=True)


def bind_user_model(table_name: str) -> type[UserModel]:
    return _bind(UserModel, table_name)


def _account(row: UserModel) -> Account:
    return Account(
        user_id=row.user_id,
        created_at=row.created_at,
        status=row.status,
        deleted_at=row.deleted_at,
        erased_at=row.erased_at,
    )


class DynamoUserStore:
    def __init__(self, model: type[UserModel]) -> None:
        self._model = model

    def register(self, user_id: str, created_at: str) -> bool:
        row = self._model(user_id, created_at=created_at, status=ACTIVE)
        try:
            # insert if absent: created_at stays the first one, deleted stays deleted
            row.save(condition=self._model.user_id.does_not_exist())
        except PutError as err:
            if err.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def get(self, user_id: str) -> Account | None:
        try:
            return _account(self._model.get(user_id, consistent_read=True))
        except self._model.DoesNotExist:
            return None

    def accounts(self, user_ids: Sequence[str], consistent: bool = False) -> dict[str, Account]:
        # Model.batch_get: 100 keys a call, UnprocessedKeys asked again
        keys = list(dict.fromkeys(user_ids))
        if not keys:
            return {}
        rows = self._model.batch_get(keys, consistent_read=consistent)
        return {row.user_id: _account(row) for row in rows}

    def existing(self, user_ids: Sequence[str]) -> set[str]:
        """Those of ``user_ids`` with an active account (mentions notify only them)."""
        return {user for user, account in self.accounts(user_ids).items() if account.active}

    def mark_deleted(self, user_id: str, deleted_at: str) -> Account:
        model = self._model
        row = model(user_id)
        # UpdateItem writes a missing row too; if_not_exists keeps the first deletion's time
        row.update(
            actions=[
                model.status.set(DELETED),
                model.deleted_at.set(model.deleted_at | deleted_at),
                model.created_at.set(model.created_at | deleted_at),
            ]
        )
        return _account(row)

    def mark_erased(self, user_id: str, erased_at: str) -> None:
        model = self._model
        model(user_id).update(
            actions=[model.erased_at.set(erased_at)], condition=model.status == DELETED
        )
