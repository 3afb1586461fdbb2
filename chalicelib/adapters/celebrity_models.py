"""PynamoDB models of hybrid fan-out: the authors table, and the posts table seen through
its sparse ``pulled`` index (only posts that were not fanned out carry its key)."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from .dynamodb_models import PostModel, _bind

__all__ = ["AuthorModel", "PulledPostModel", "bind_author_model", "bind_pulled_post_model"]

PULLING = "1"
"""The one value of ``AuthorModel.pulling``: the sparse index's only partition."""


class PullingIndex(GlobalSecondaryIndex["AuthorModel"]):
    """The authors with pulled posts: few, read whole by every merged feed read."""

    class Meta:
        index_name = "pulling"
        projection = KeysOnlyProjection()

    pulling = UnicodeAttribute(hash_key=True)
    author_id = UnicodeAttribute(range_key=True)


class AuthorModel(Model):
    """Per author: ``followers`` (ADD on follow and unfollow, in the relationship's
    transaction) and ``pulling`` (set for good once a post of theirs is pulled)."""

    author_id = UnicodeAttribute(hash_key=True)
    followers = NumberAttribute(default=0)
    pulling = UnicodeAttribute(null=True)
    pulling_index = PullingIndex()


class PulledIndex(GlobalSecondaryIndex["PulledPostModel"]):
    """An author's pulled posts, newest first by yubl id."""

    class Meta:
        index_name = "pulled"
        projection = AllProjection()

    pulled_author = UnicodeAttribute(hash_key=True)
    yubl_id = UnicodeAttribute(range_key=True)


class PulledPostModel(PostModel):
    """A post; ``pulled_author`` (the author id) is set only on posts not fanned out."""

    pulled_author = UnicodeAttribute(null=True)
    pulled = PulledIndex()


def bind_author_model(table_name: str) -> type[AuthorModel]:
    return _bind(AuthorModel, table_name)


def bind_pulled_post_model(table_name: str) -> type[PulledPostModel]:
    return _bind(PulledPostModel, table_name)
