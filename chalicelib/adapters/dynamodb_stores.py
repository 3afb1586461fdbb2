"""DynamoDB implementations of FollowerStore, FeedStore and PostStore, through PynamoDB."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import partial

from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import PutError

from ..domain.feed import FeedEntry, FeedRef
from ..domain.paging import Page
from ..domain.posts import Yubl
from .batch_writes import Item, model_batch_send, write_all
from .cursors import decode_cursor, encode_cursor
from .dynamodb_models import FeedEntryModel, PostModel, RelationshipModel, is_set
from .follower_index import follower_ids
from .key_pages import sort_key_page

__all__ = ["DynamoFeedStore", "DynamoFollowerStore", "DynamoPostStore"]


class DynamoFollowerStore:
    def __init__(self, model: type[RelationshipModel]) -> None:
        self._model = model

    def add(self, user_id: str, follower_id: str) -> None:
        self._model(user_id, follower_id).save()

    def remove(self, user_id: str, follower_id: str) -> None:
        self._model(user_id, follower_id).delete()

    def page(self, user_id: str, limit: int, cursor: str | None) -> Page[str]:
        return sort_key_page(self._model.query, ("user_id", user_id), "follower_id", limit, cursor)

    def following(self, follower_id: str, limit: int, cursor: str | None) -> Page[str]:
        query = self._model.following.query
        return sort_key_page(query, ("follower_id", follower_id), "user_id", limit, cursor)

    def follows(self, user_id: str, follower_id: str) -> bool:
        rows = self._model.query(
            user_id,
            self._model.follower_id == follower_id,
            consistent_read=True,
            attributes_to_get=["follower_id"],
        )
        return any(True for _ in rows)

    def iter_pages(
        self, user_id: str, page_size: int, after: str | None = None
    ) -> Iterator[list[str]]:
        page: list[str] = []
        condition = None if after is None else self._model.follower_id > after
        for row in self._model.query(
            user_id, condition, page_size=page_size, attributes_to_get=["follower_id"]
        ):
            page.append(row.follower_id)
            if len(page) == page_size:
                yield page
                page = []
        if page:
            yield page

    def head(self, user_id: str, limit: int, after: str | None = None) -> list[str]:
        condition = None if after is None else self._model.follower_id > after
        return list(follower_ids(self._model, user_id, condition, None, limit, most=limit))


class DynamoFeedStore:
    def __init__(self, model: type[FeedEntryModel], max_attempts: int = 8) -> None:
        self._model = model
        self._max_attempts = max_attempts
        attributes = model.get_attributes()
        # (field, stored name) in the order the model serializes them; direct when all
        # are plain strings (see _item)
        self._fields = tuple((name, a.attr_name) for name, a in attributes.items())
        self._direct = all(type(a) is UnicodeAttribute for a in attributes.values())

    def put_entries(self, entries: Sequence[FeedEntry]) -> None:
        items = [self._item(FeedRef.of(entry)) for entry in entries]
        write_all(partial(self._send, "put_items"), items, max_attempts=self._max_attempts)

    def _item(self, ref: FeedRef) -> Item:
        """``ref`` as the model serializes it, without a model object per entry: PynamoDB
        builds and checks one in 9 us, here 2 us, of the runtime's 115-125 us of CPU per
        entry in the fan-out. A value that is not a string takes the model's path, and
        its error."""
        values = [getattr(ref, name) for name, _ in self._fields]
        if not self._direct or not all(type(value) is str for value in values):
            return self._to_model(ref).serialize()
        return {
            stored: {"S": value} for (_, stored), value in zip(self._fields, values, strict=True)
        }

    def remove_entries(self, keys: Sequence[tuple[str, str]]) -> None:
        items = [{"user_id": {"S": user}, "yubl_id": {"S": yubl}} for user, yubl in keys]
        write_all(partial(self._send, "delete_items"), items, max_attempts=self._max_attempts)

    def _send(self, kind: str, items: list[Item]) -> list[Item]:
        return model_batch_send(self._model, kind, items)

    def refs_by_author(self, user_id: str, author_id: str) -> list[FeedRef]:
        # the whole feed is read (it is capped), the filter keeps one author's entries
        rows = self._model.query(user_id, filter_condition=self._model.author_id == author_id)
        return [FeedRef(row.user_id, row.yubl_id, row.author_id, row.posted_at) for row in rows]

    def page(self, user_id: str, limit: int, cursor: str | None) -> Page[FeedRef]:
        after = decode_cursor(cursor)
        start = None if after is None else {"user_id": {"S": user_id}, "yubl_id": {"S": after}}
        rows = list(
            self._model.query(
                user_id,
                scan_index_forward=False,
                limit=limit + 1,
                page_size=limit + 1,
                last_evaluated_key=start,
            )
        )
        refs = [FeedRef(row.user_id, row.yubl_id, row.author_id, row.posted_at) for row in rows]
        more = len(refs) > limit
        return Page(
            items=refs[:limit], next_cursor=encode_cursor(refs[limit - 1].yubl_id) if more else None
        )

    def _to_model(self, ref: FeedRef) -> FeedEntryModel:
        return self._model(
            ref.user_id, ref.yubl_id, author_id=ref.author_id, posted_at=ref.posted_at
        )


class DynamoPostStore:
    def __init__(self, model: type[PostModel]) -> None:
        self._model = model

    def put(self, yubl: Yubl) -> bool:
        row = self._model(yubl.author_id, yubl.yubl_id, text=yubl.text, posted_at=yubl.posted_at)
        try:
            # a replay, or a tombstone written first, keeps what is there
            row.save(condition=self._model.yubl_id.does_not_exist())
        except PutError as err:
            if err.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def page(self, author_id: str, limit: int, cursor: str | None) -> Page[Yubl]:
        after = decode_cursor(cursor)
        start = None if after is None else {"author_id": {"S": author_id}, "yubl_id": {"S": after}}
        # the filter runs after each Query page is read; PynamoDB keeps reading pages
        # until ``limit`` live posts (one more than asked, to know of a next page) are found
        rows = list(
            self._model.query(
                author_id,
                filter_condition=self._model.deleted_at.does_not_exist(),
                consistent_read=True,  # a post deleted a moment ago is already left out
                scan_index_forward=False,
                limit=limit + 1,
                page_size=limit + 1,
                last_evaluated_key=start,
            )
        )
        posts = [self._to_yubl(row) for row in rows[:limit]]
        more = len(rows) > limit
        return Page(items=posts, next_cursor=encode_cursor(posts[-1].yubl_id) if more else None)

    @staticmethod
    def _to_yubl(row: PostModel) -> Yubl:
        return Yubl(row.yubl_id, row.author_id, str(row.text), str(row.posted_at))

    def is_deleted(self, author_id: str, yubl_id: str) -> bool:
        return is_set(self._model, author_id, yubl_id, "deleted_at")

    def mark_deleted(self, author_id: str, yubl_id: str, deleted_at: str) -> str:
        # one UpdateItem, if_not_exists: a repeat keeps the first time, and the item is
        # created when the post has not arrived (its put then fails); ALL_NEW answers it
        model = self._model
        row = model(author_id, yubl_id)
        row.update(actions=[model.deleted_at.set(model.deleted_at | deleted_at)])
        return str(row.deleted_at)

    def stored(self, author_id: str, yubl_id: str) -> Yubl | None:
        try:
            row = self._model.get(author_id, yubl_id, consistent_read=True)
        except self._model.DoesNotExist:
            return None
        return None if row.text is None or row.posted_at is None else self._to_yubl(row)

    def tombstone(
        self, author_id: str, yubl_id: str, deleted_at: str, mentions: Sequence[str] = ()
    ) -> list[str]:
        # UpdateItem creates the item when the post has not arrived: its put then fails
        model = self._model
        row = model(author_id, yubl_id)
        row.update(
            actions=[
                model.deleted_at.set(model.deleted_at | deleted_at),  # the API's stays
                model.text.remove(),
                # if_not_exists: a repeated tombstone (the text gone) keeps the first's
                model.mentions.set(model.mentions | list(mentions)),
            ]
        )
        return list(row.mentions or ())

    def live(self, keys: Sequence[tuple[str, str]]) -> dict[str, Yubl]:
        # Model.batch_get sends 100 keys a call and asks again for UnprocessedKeys;
        # consistent, so that a read right after a delete's 202 sees its mark
        unique = list(dict.fromkeys(keys))
        rows = self._model.batch_get(unique, consistent_read=True) if unique else []
        return {
            row.yubl_id: Yubl(row.yubl_id, row.author_id, row.text, row.posted_at)
            for row in rows
            if row.deleted_at is None and row.text is not None and row.posted_at is not None
        }
