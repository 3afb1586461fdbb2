"""DynamoDB implementations of AuthorIndex, PulledPosts, AuthorPosts and FeedSource, and
a follower store that keeps each author's follower count as relationships change."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from pynamodb.exceptions import DeleteError, PutError

from ..domain.feed import FeedRef
from ..domain.feed_merge import SourcePage
from ..domain.posts import Yubl
from .celebrity_models import PULLING, AuthorModel, PulledPostModel
from .dynamodb_models import FeedEntryModel, RelationshipModel, is_set
from .dynamodb_stores import DynamoFollowerStore

__all__ = [
    "CountingFollowerStore",
    "DynamoAuthorIndex",
    "DynamoAuthorPosts",
    "DynamoFeedSource",
    "DynamoPulledPosts",
]


class CountingFollowerStore(DynamoFollowerStore):
    """Follow and unfollow change the author's count only when they change the
    relationship: a conditional write, then an ``ADD`` when it took effect, so a
    repeated follow (or unfollow) never counts twice.

    Not one transaction: the emulator's TransactWriteItems copies the whole table per
    call (slow at benchmark sizes, and it fails under concurrent writes). A crash
    between the two writes leaves a count one off, until ``ops.follower_counts``
    recounts; a count only places an author near the threshold, and which side a post
    falls on loses nothing (a post is merged by its own flag).
    """

    def __init__(self, model: type[RelationshipModel], authors: type[AuthorModel]) -> None:
        super().__init__(model)
        self._authors = authors

    def add(self, user_id: str, follower_id: str) -> None:
        relationship = self._model(user_id, follower_id)
        try:
            relationship.save(condition=self._model.follower_id.does_not_exist())
        except PutError as err:
            if _already(err):
                return
            raise
        self._count(user_id, +1)

    def remove(self, user_id: str, follower_id: str) -> None:
        relationship = self._model(user_id, follower_id)
        try:
            relationship.delete(condition=self._model.follower_id.exists())
        except DeleteError as err:
            if _already(err):
                return
            raise
        self._count(user_id, -1)

    def _count(self, user_id: str, change: int) -> None:
        self._authors(user_id).update(actions=[self._authors.followers.add(change)])


def _already(err: PutError | DeleteError) -> bool:
    """The condition failed: the relationship was already so, nothing to count."""
    return err.cause_response_code == "ConditionalCheckFailedException"


class DynamoAuthorIndex:
    def __init__(self, model: type[AuthorModel]) -> None:
        self._model = model

    def follower_count(self, author_id: str) -> int:
        try:
            row = self._model.get(author_id, attributes_to_get=["followers"])
        except self._model.DoesNotExist:
            return 0
        return int(row.followers or 0)

    def mark_pulling(self, author_id: str) -> None:
        self._model(author_id).update(actions=[self._model.pulling.set(PULLING)])

    def pulling(self) -> set[str]:
        return {row.author_id for row in self._model.pulling_index.query(PULLING)}


class DynamoPulledPosts:
    def __init__(self, model: type[PulledPostModel]) -> None:
        self._model = model

    def mark(self, author_id: str, yubl_id: str) -> None:
        self._model(author_id, yubl_id).update(actions=[self._model.pulled_author.set(author_id)])

    def is_pulled(self, author_id: str, yubl_id: str) -> bool:
        return is_set(self._model, author_id, yubl_id, "pulled_author")

    def before(self, author_id: str, limit: int, before: str | None) -> SourcePage[Yubl]:
        return _live_before(self._model.pulled.query, self._model, author_id, limit, before)


class DynamoAuthorPosts:
    def __init__(self, model: type[PulledPostModel]) -> None:
        self._model = model

    def before(self, author_id: str, limit: int, before: str | None) -> SourcePage[Yubl]:
        return _live_before(self._model.query, self._model, author_id, limit, before)


def _live_before(
    query: Callable[..., Iterable[PulledPostModel]],
    model: type[PulledPostModel],
    author_id: str,
    limit: int,
    before: str | None,
) -> SourcePage[Yubl]:
    """Newest first below ``before``, tombstones filtered; ``limit`` counts live posts
    (PynamoDB reads on until it has them), one more to know of a next page."""
    rows = list(
        query(
            author_id,
            None if before is None else model.yubl_id < before,
            filter_condition=model.deleted_at.does_not_exist(),
            scan_index_forward=False,
            limit=limit + 1,
            page_size=limit + 1,
        )
    )
    posts = [Yubl(r.yubl_id, r.author_id, str(r.text), str(r.posted_at)) for r in rows]
    return SourcePage(posts[:limit], more=len(posts) > limit)


class DynamoFeedSource:
    def __init__(self, model: type[FeedEntryModel]) -> None:
        self._model = model

    def refs_before(self, user_id: str, limit: int, before: str | None) -> SourcePage[FeedRef]:
        # a key condition, not ExclusiveStartKey: the position may be a pulled post's id,
        # which is no key of this feed
        model = self._model
        rows = list(
            model.query(
                user_id,
                None if before is None else model.yubl_id < before,
                scan_index_forward=False,
                limit=limit + 1,
                page_size=limit + 1,
            )
        )
        refs = [FeedRef(r.user_id, r.yubl_id, r.author_id, r.posted_at) for r in rows]
        return SourcePage(refs[:limit], more=len(refs) > limit)
