"""The mutes table through PynamoDB: ``services.mutes.MuteStore``.

Key (user_id, author_id); the keys-only index ``muted_by`` (author_id, user_id) answers
the fan-out's question "who in this page of followers mutes the author" with one Query
over the page's id range, whatever the page's size (the plan asks it once per page of
10,000 followers); a BatchGetItem of every (follower, author) pair would read a key per
follower (100 calls for such a page).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from pynamodb.attributes import UnicodeAttribute
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from ..domain.paging import Page
from ..domain.posts import iso_millis
from .key_pages import sort_key_page

__all__ = ["DynamoMuteStore", "MuteModel", "bind_mute_model"]


class MutedByIndex(GlobalSecondaryIndex["MuteModel"]):
    """The mutes by author: who mutes an author."""

    class Meta:
        index_name = "muted_by"
        projection = KeysOnlyProjection()

    author_id = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute(range_key=True)


class MuteModel(Model):
    """``user_id`` mutes ``author_id`` since ``muted_at``."""

    user_id = UnicodeAttribute(hash_key=True)
    author_id = UnicodeAttribute(range_key=True)
    muted_at = UnicodeAttribute(null=True)
    muted_by = MutedByIndex()


def bind_mute_model(table_name: str) -> type[MuteModel]:
    class Meta:
        pass

    Meta.table_name = table_name  # type: ignore[attr-defined]
    return type("BoundMuteModel", (MuteModel,), {"Meta": Meta})


class DynamoMuteStore:
    def __init__(self, model: type[MuteModel]) -> None:
        self._model = model

    def add(self, user_id: str, author_id: str) -> None:
        self._model(user_id, author_id, muted_at=iso_millis(datetime.now(UTC))).save()

    def remove(self, user_id: str, author_id: str) -> None:
        self._model(user_id, author_id).delete()

    def page(self, user_id: str, limit: int, cursor: str | None) -> Page[str]:
        return sort_key_page(self._model.query, ("user_id", user_id), "author_id", limit, cursor)

    def muted_authors(self, user_id: str, authors: Sequence[str]) -> set[str]:
        # Model.batch_get: 100 keys a call, UnprocessedKeys asked again
        keys = [(user_id, author) for author in dict.fromkeys(authors)]
        return {row.author_id for row in self._model.batch_get(keys)} if keys else set()

    def muting(self, author_id: str, first: str, last: str) -> set[str]:
        rows = self._model.muted_by.query(author_id, self._model.user_id.between(first, last))
        return {row.user_id for row in rows}
