"""Follows and unfollows reaching the follower's feed: a follow backfills the author's
newest posts, an unfollow removes exactly that author's entries.

Each event is handled against the relationship's state *now*, not the one it reports: a
follow whose relationship has ended since writes nothing, and an unfollow whose
relationship was made again since removes nothing (the newer follow's backfill, and the
posts fanned out to it, stay). One follower's events are read in order (the follower is
the partition key), so the last event decides, whatever was replayed before it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ..domain.feed import entries_for
from ..domain.posts import DEFAULT_MAX_CLOCK_SKEW
from ..domain.relationships_events import RelationshipChange, parse_relationship_event
from .ports import FeedStore, FollowerStore, PostStore

__all__ = ["RelationshipChangeService", "RelationshipHandled"]


@dataclass(frozen=True)
class RelationshipHandled:
    change: RelationshipChange
    entries: int = 0  # feed entries written (follow) or removed (unfollow)
    skipped: str | None = None  # why nothing was done, when nothing was


class RelationshipChangeService:
    def __init__(
        self,
        followers: FollowerStore,
        feeds: FeedStore,
        posts: PostStore,
        backfill_posts: int,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        max_skew: timedelta = DEFAULT_MAX_CLOCK_SKEW,
    ) -> None:
        self._followers = followers
        self._feeds = feeds
        self._posts = posts
        self._backfill_posts = backfill_posts
        self._clock = clock
        self._max_skew = max_skew

    def handle(self, event: Any) -> RelationshipHandled:
        """Validate a ``user-followed`` / ``user-unfollowed`` event whole, then apply it.

        What there is to do is read first: with no posts to backfill or no entries to
        remove (a new author, a feed without them), the relationship is not read at all.
        """
        change = parse_relationship_event(event, now=self._clock(), max_skew=self._max_skew)
        if change.followed:
            return self._backfill(change)
        refs = self._feeds.refs_by_author(change.follower_id, change.user_id)
        if not refs:
            return RelationshipHandled(change)
        if self._followers.follows(change.user_id, change.follower_id):
            return RelationshipHandled(change, skipped="followed again since: entries kept")
        self._feeds.remove_entries([(ref.user_id, ref.yubl_id) for ref in refs])
        return RelationshipHandled(change, entries=len(refs))

    def _backfill(self, change: RelationshipChange) -> RelationshipHandled:
        """The author's newest live posts into the follower's feed; a repeat overwrites."""
        if self._backfill_posts < 1:
            return RelationshipHandled(change, skipped="FEED_BACKFILL_POSTS is 0")
        newest = self._posts.page(change.user_id, self._backfill_posts, None).items
        if not newest:
            return RelationshipHandled(change)
        if not self._followers.follows(change.user_id, change.follower_id):
            return RelationshipHandled(change, skipped="unfollowed since: nothing to backfill")
        entries = [entry for yubl in newest for entry in entries_for(yubl, [change.follower_id])]
        self._feeds.put_entries(entries)
        return RelationshipHandled(change, entries=len(entries))
