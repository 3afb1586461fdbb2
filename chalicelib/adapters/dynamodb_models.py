"""PynamoDB models of the two tables, bound to a table name at wiring time.

PynamoDB caches a connection per model class, so each stage gets its own subclass
with its table name set before the first call. Region and endpoint come from the
standard SDK environment (``AWS_DEFAULT_REGION``, ``AWS_ENDPOINT_URL``).
"""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model

__all__ = ["FeedEntryModel", "RelationshipModel", "bind_feed_model", "bind_relationship_model"]


class RelationshipModel(Model):
    """``follower_id`` follows ``user_id``; queried by user to list followers."""

    user_id = UnicodeAttribute(hash_key=True)
    follower_id = UnicodeAttribute(range_key=True)


class FeedEntryModel(Model):
    """A yubl in one follower's feed; the key (user_id, yubl_id) makes writes idempotent."""

    user_id = UnicodeAttribute(hash_key=True)
    yubl_id = UnicodeAttribute(range_key=True)
    author_id = UnicodeAttribute()
    text = UnicodeAttribute()
    posted_at = UnicodeAttribute()


def bind_relationship_model(table_name: str) -> type[RelationshipModel]:
    class Meta:
        pass

    Meta.table_name = table_name  # type: ignore[attr-defined]
    return type("BoundRelationshipModel", (RelationshipModel,), {"Meta": Meta})


def bind_feed_model(table_name: str) -> type[FeedEntryModel]:
    class Meta:
        pass

    Meta.table_name = table_name  # type: ignore[attr-defined]
    return type("BoundFeedEntryModel", (FeedEntryModel,), {"Meta": Meta})
