"""The activity table through PynamoDB: each user's last recorded feed read (an hour).

One small item per user, so a lookup is half a read unit (eventually consistent) and a
record one write unit. ``record_read`` is conditional, so two readers racing in the same
hour, or a late one from an earlier hour, never move the record backwards.
"""

from __future__ import annotations

from collections.abc import Sequence

from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, UpdateError
from pynamodb.models import Model

__all__ = ["ActivityModel", "DynamoActivityStore", "bind_activity_model"]


class ActivityModel(Model):
    """``last_read_at``: the hour of the user's last feed read, ``2026-11-23T22:00:00Z``."""

    user_id = UnicodeAttribute(hash_key=True)
    last_read_at = UnicodeAttribute(null=True)


def bind_activity_model(table_name: str) -> type[ActivityModel]:
    class Meta:
        pass

    Meta.table_name = table_name  # type: ignore[attr-defined]
    return type("BoundActivityModel", (ActivityModel,), {"Meta": Meta})


class DynamoActivityStore:
    def __init__(self, model: type[ActivityModel]) -> None:
        self._model = model

    def last_read(self, user_id: str) -> str | None:
        try:
            row = self._model.get(user_id, attributes_to_get=["last_read_at"])
        except DoesNotExist:
            return None
        return row.last_read_at

    def last_reads(self, user_ids: Sequence[str]) -> dict[str, str]:
        # Model.batch_get sends 100 keys a call and asks again for UnprocessedKeys
        keys = list(dict.fromkeys(user_ids))
        rows = self._model.batch_get(keys, attributes_to_get=["user_id", "last_read_at"])
        return {row.user_id: row.last_read_at for row in rows if row.last_read_at is not None}

    def record_read(self, user_id: str, hour: str) -> bool:
        model = self._model
        try:
            model(user_id).update(
                actions=[model.last_read_at.set(hour)],
                condition=model.last_read_at.does_not_exist() | (model.last_read_at < hour),
            )
        except UpdateError as err:
            if err.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True
