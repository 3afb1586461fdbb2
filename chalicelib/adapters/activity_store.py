"""The activity table through PynamoDB: each user's last recorded feed read (an hour),
and whether a trim to the cap has cut their feed short (``DynamoTrimMarks``).

One small item per user, so a lookup is half a read unit (eventually consistent) and a
record one write unit. ``record_read`` is conditional, so two readers racing in the same
hour, or a late one from an earlier hour, never move the record backwards.
"""

from __future__ import annotations

from collections.abc import Sequence

from pynamodb.attributes import BooleanAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, UpdateError
from pynamodb.models import Model

__all__ = ["ActivityModel", "DynamoActivityStore", "DynamoTrimMarks", "bind_activity_model"]


class ActivityModel(Model):
    """``last_read_at``: the hour of the user's last feed read, ``2026-11-23T22:00:00Z``;
    ``feed_trimmed``: set once a trim deleted entries from the user's feed."""

    user_id = UnicodeAttribute(hash_key=True)
    last_read_at = UnicodeAttribute(null=True)
    feed_trimmed = BooleanAttribute(null=True)


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


class DynamoTrimMarks:
    """The mark rides on the user's activity item: a per-user item read anyway, so no
    table of its own. Marking is an UpdateItem (a BatchWriteItem put would erase the
    last read), one write unit per feed, once per trim that deletes: a trim is drawn
    about once per ``FEED_TRIM_EVERY`` entries, so well under 1% of the fan-out's writes.
    """

    def __init__(self, model: type[ActivityModel]) -> None:
        self._model = model

    def mark_trimmed(self, user_ids: Sequence[str]) -> None:
        for user_id in user_ids:
            self._model(user_id).update(actions=[self._model.feed_trimmed.set(True)])

    def was_trimmed(self, user_id: str) -> bool:
        try:
            row = self._model.get(user_id, attributes_to_get=["feed_trimmed"])
        except DoesNotExist:
            return False
        return bool(row.feed_trimmed)
