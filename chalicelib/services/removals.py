"""Removing a deleted yubl's entries: from each follower's feed (``feed-remove`` messages
of the feed group) and the notifications of the users it mentioned (the delete event of
the notifications group). Reads already skip the tombstoned post; this frees the rows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ..domain.delete_messages import (
    RemovalGroupMessage,
    parse_delete_event_message,
    parse_removal_message,
    removal_message,
)
from ..domain.posts import DEFAULT_MAX_CLOCK_SKEW
from .feeds import in_chunks
from .ports import FeedStore

__all__ = ["FeedRemoval", "RemovalService"]


def _never() -> bool:
    return False


@dataclass(frozen=True)
class FeedRemoval:
    yubl_id: str
    users: tuple[str, ...]  # whose entries were removed (or were already absent)
    rest: RemovalGroupMessage | None = None  # the followers left when time ran out
    event_id: str | None = None


class RemovalService:
    """Removes a deleted yubl's entries from one store: the feeds (``remove_group``) or
    the notifications (``remove_mentions``)."""

    def __init__(
        self,
        store: FeedStore,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        max_skew: timedelta = DEFAULT_MAX_CLOCK_SKEW,
    ) -> None:
        self._store = store
        self._clock = clock
        self._max_skew = max_skew

    def remove_group(self, message: Any, out_of_time: Callable[[], bool] = _never) -> FeedRemoval:
        """Remove a feed-remove message's yubl from each follower's feed, validated whole
        first; as ``FeedService.add_group``, the followers left when ``out_of_time`` says
        yes come back as ``rest``."""
        deleted, followers = parse_removal_message(
            message, now=self._clock(), max_skew=self._max_skew
        )
        followers = list(dict.fromkeys(followers))
        keys = [(follower, deleted.yubl_id) for follower in followers]
        done = in_chunks(keys, self._store.remove_entries, out_of_time)
        if done < len(followers):
            rest = removal_message(deleted, followers[done:])
            return FeedRemoval(deleted.yubl_id, tuple(followers[:done]), rest=rest)
        return FeedRemoval(deleted.yubl_id, tuple(followers))

    def remove_mentions(self, message: Any) -> FeedRemoval:
        """Remove the notifications a deleted yubl gave the users it mentioned."""
        deleted, event_id, mentions = parse_delete_event_message(
            message, now=self._clock(), max_skew=self._max_skew
        )
        if mentions:
            self._store.remove_entries([(user, deleted.yubl_id) for user in mentions])
        return FeedRemoval(deleted.yubl_id, tuple(mentions), event_id=event_id)
