"""FollowerIndex on the relationships table: counting reads for boundaries, keys-only
pages for ranges.

The boundaries come from Query with ``Select=COUNT`` and ``Limit``: DynamoDB stops after
``Limit`` items and names the last one in ``LastEvaluatedKey``, so a boundary costs the
read units of the keys it counts but carries no follower ids over the wire. PynamoDB's
``Model.count`` hides that key, hence the table connection's ``query`` here. The pages
of a range are read through it too: a range is 10,000 ids, and making a model object
of each only to take its id back costs the range worker more than the read.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from typing import Any

from .dynamodb_models import RelationshipModel

__all__ = ["DynamoFollowerIndex", "follower_ids"]


class DynamoFollowerIndex:
    def __init__(self, model: type[RelationshipModel]) -> None:
        self._model = model

    def _key(self, user_id: str, follower_id: str | None) -> dict[str, Any] | None:
        if follower_id is None:
            return None
        return {"user_id": {"S": user_id}, "follower_id": {"S": follower_id}}

    def boundaries(self, user_id: str, every: int, after: str | None = None) -> Iterator[str]:
        connection = self._model._get_connection()
        start = self._key(user_id, after)
        needed = every
        while True:
            # a page may stop short of Limit at 1 MB read: count on from where it stopped
            answer = connection.query(
                user_id, exclusive_start_key=start, limit=needed, select="COUNT"
            )
            start = answer.get("LastEvaluatedKey")
            if start is None:
                return  # the index ends before the next boundary
            needed -= int(answer.get("Count", 0))
            if needed <= 0:
                yield str(start["follower_id"]["S"])
                needed = every

    def range_pages(
        self, user_id: str, page_size: int, after: str | None, end: str | None
    ) -> Iterator[list[str]]:
        """``follower_id <= end`` from after ``after`` (the exclusive start key: a key
        condition has one comparison on the sort key, and BETWEEN would include ``after``).
        One item more than the page a call: a full last page costs no empty extra call."""
        condition = None if end is None else self._model.follower_id <= end
        ids = follower_ids(
            self._model, user_id, condition, self._key(user_id, after), page_size + 1
        )
        while page := list(islice(ids, page_size)):
            yield page


def follower_ids(
    model: type[RelationshipModel],
    user_id: str,
    condition: Any,
    start: dict[str, Any] | None,
    limit: int,
    most: int | None = None,
) -> Iterator[str]:
    """The follower ids of ``user_id``'s relationships that meet the sort key ``condition``,
    after ``start``, ``limit`` a Query call, ascending, as the table answers them (keys
    only, no model objects); with ``most``, no more than that many, in one call when
    ``limit`` covers them."""
    connection = model._get_connection()
    left = most
    while left is None or left > 0:
        answer = connection.query(
            user_id,
            range_key_condition=condition,
            exclusive_start_key=start,
            limit=limit if left is None else min(limit, left),
            attributes_to_get=["follower_id"],
        )
        items = answer.get("Items", [])
        for item in items:
            yield str(item["follower_id"]["S"])
        if left is not None:
            left -= len(items)
        start = answer.get("LastEvaluatedKey")
        if start is None:
            return
