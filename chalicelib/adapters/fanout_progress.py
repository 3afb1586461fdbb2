"""FanoutProgress on a DynamoDB table: one small item per (yubl, group), expiring by TTL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from pynamodb.exceptions import PutError

from .dynamodb_models import FanoutProgressModel

__all__ = ["DynamoFanoutProgress"]


class DynamoFanoutProgress:
    def __init__(
        self,
        model: type[FanoutProgressModel],
        ttl: timedelta,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._model = model
        self._ttl = ttl
        self._clock = clock

    def last_published(self, yubl_id: str, group: str) -> str | None:
        try:
            item = self._model.get(yubl_id, group, consistent_read=True)
        except self._model.DoesNotExist:
            return None
        return str(item.last_follower)

    def record_published(self, yubl_id: str, group: str, last_follower: str) -> None:
        """A conditional put: a slower, concurrent fan-out of the same yubl cannot move
        the progress backwards (its write is refused and ignored)."""
        model = self._model
        item = model(
            yubl_id, group, last_follower=last_follower, expires_at=self._clock() + self._ttl
        )
        try:
            item.save(
                condition=model.last_follower.does_not_exist()
                | (model.last_follower < last_follower)
            )
        except PutError as err:
            if err.cause_response_code != "ConditionalCheckFailedException":
                raise
