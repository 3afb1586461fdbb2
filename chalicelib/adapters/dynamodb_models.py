"""PynamoDB models of the tables, bound to a table name at wiring time.

PynamoDB caches a connection per model class, so each stage gets its own subclass
with its table name set before the first call. Region and endpoint come from the
standard SDK environment (``AWS_DEFAULT_REGION``, ``AWS_ENDPOINT_URL``).
"""

from __future__ import annotations

from typing import TypeVar

from pynamodb.attributes import ListAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

__all__ = [
    "FanoutProgressModel",
    "FeedEntryModel",
    "PostModel",
    "RelationshipModel",
    "bind_fanout_progress_model",
    "bind_feed_model",
    "bind_post_model",
    "bind_relationship_model",
    "is_set",
]

M = TypeVar("M", bound=Model)


class FollowingIndex(GlobalSecondaryIndex["RelationshipModel"]):
    """The relationships by follower: whom a user follows."""

    class Meta:
        index_name = "following"
        projection = KeysOnlyProjection()

    follower_id = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute(range_key=True)


class RelationshipModel(Model):
    """``follower_id`` follows ``user_id``; queried by user to list followers, and through
    ``following`` by follower to list whom they follow."""

    user_id = UnicodeAttribute(hash_key=True)
    follower_id = UnicodeAttribute(range_key=True)
    following = FollowingIndex()


class FeedEntryModel(Model):
    """A reference to a yubl in one follower's feed (its text is in the posts table); the
    key (user_id, yubl_id) makes writes idempotent."""

    user_id = UnicodeAttribute(hash_key=True)
    yubl_id = UnicodeAttribute(range_key=True)
    author_id = UnicodeAttribute()
    posted_at = UnicodeAttribute()


class FanoutProgressModel(Model):
    """How far one yubl's fan-out to one subscriber group got: followers up to
    ``last_follower`` are published. DynamoDB deletes the item after ``expires_at``."""

    yubl_id = UnicodeAttribute(hash_key=True)
    group = UnicodeAttribute(range_key=True)
    last_follower = UnicodeAttribute()
    expires_at = TTLAttribute()


def is_set(model: type[Model], hash_key: str, range_key: str, attribute: str) -> bool:
    """Whether the item holds ``attribute``: one GetItem of that attribute alone, strongly
    consistent (a mark written a moment ago must show); an absent item holds none."""
    try:
        row = model.get(hash_key, range_key, consistent_read=True, attributes_to_get=[attribute])
    except model.DoesNotExist:
        return False
    return getattr(row, attribute) is not None


def _bind(base: type[M], table_name: str) -> type[M]:
    class Meta:
        pass

    Meta.table_name = table_name  # type: ignore[attr-defined]
    return type(f"Bound{base.__name__}", (base,), {"Meta": Meta})


def bind_relationship_model(table_name: str) -> type[RelationshipModel]:
    return _bind(RelationshipModel, table_name)


def bind_feed_model(table_name: str) -> type[FeedEntryModel]:
    return _bind(FeedEntryModel, table_name)


def bind_fanout_progress_model(table_name: str) -> type[FanoutProgressModel]:
    return _bind(FanoutProgressModel, table_name)


class PostModel(Model):
    """A yubl, stored once by the dispatcher; the text of every feed entry that names it.

    ``text`` and ``posted_at`` are absent on a tombstone written before its post arrived;
    ``deleted_at`` marks a deleted post (its text removed); ``mentions`` on a tombstone
    keeps whom the text named, for removing their notifications.
    """

    author_id = UnicodeAttribute(hash_key=True)
    yubl_id = UnicodeAttribute(range_key=True)
    text = UnicodeAttribute(null=True)
    posted_at = UnicodeAttribute(null=True)
    deleted_at = UnicodeAttribute(null=True)
    mentions = ListAttribute[str](null=True)


def bind_post_model(table_name: str) -> type[PostModel]:
    return _bind(PostModel, table_name)
