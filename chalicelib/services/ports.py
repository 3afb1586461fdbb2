"""The ports the services need; adapters implement them for AWS and in memory."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol

from ..domain.feed import FeedEntry
from ..domain.paging import Page

__all__ = [
    "ArchiveStore",
    "EventPublisher",
    "FanoutProgress",
    "FeedStore",
    "FollowerStore",
    "GroupPublisher",
    "MessagePublisher",
    "UserDirectory",
]


class FollowerStore(Protocol):
    def add(self, user_id: str, follower_id: str) -> None: ...

    def remove(self, user_id: str, follower_id: str) -> None: ...

    def page(self, user_id: str, limit: int, cursor: str | None) -> Page[str]:
        """One page of followers in id order; raises InvalidInput for a bad cursor."""
        ...

    def iter_pages(
        self, user_id: str, page_size: int, after: str | None = None
    ) -> Iterator[list[str]]:
        """Every follower (those after ``after`` when given), page by page in ascending id
        order, without holding them all in memory."""
        ...


class FeedStore(Protocol):
    def put_entries(self, entries: Sequence[FeedEntry]) -> None:
        """Write every entry (overwriting same keys) or raise."""
        ...

    def page(self, user_id: str, limit: int, cursor: str | None) -> Page[FeedEntry]:
        """One page of a feed, newest first; raises InvalidInput for a bad cursor."""
        ...


class EventPublisher(Protocol):
    """Publishes events to the stream, ordered per partition key."""

    def publish(self, event: Mapping[str, Any], partition_key: str) -> None:
        """Publish one event, or raise ``TemporarilyUnavailable`` having published none."""
        ...


class MessagePublisher(Protocol):
    """Publishes one batch of messages (already within the topic's limits)."""

    def publish_batch(
        self, messages: Sequence[str], attributes: Mapping[str, str] | None = None
    ) -> None: ...


class GroupPublisher(Protocol):
    """Publishes to the topic of each subscriber group."""

    def publish_batch(
        self, group: str, messages: Sequence[str], attributes: Mapping[str, str]
    ) -> None: ...


class UserDirectory(Protocol):
    """Who exists: the sign-in pool's users."""

    def existing(self, user_ids: Sequence[str]) -> set[str]: ...


class ArchiveStore(Protocol):
    """Appends newline-delimited JSON objects to the archive."""

    def put_object(self, key: str, lines: Sequence[str]) -> None: ...


class FanoutProgress(Protocol):
    """How far the fan-out of each yubl to each subscriber group got, so a retried record
    resumes where it stopped, and a group that failed is never skipped for one that did not.

    Followers are published in ascending id order; the progress of a (yubl, group) is the
    last follower of its last published batch. Items expire (TTL) after the retries end.
    """

    def last_published(self, yubl_id: str, group: str) -> str | None:
        """The last follower whose batch was published, None if none was."""
        ...

    def record_published(self, yubl_id: str, group: str, last_follower: str) -> None:
        """Remember that every follower up to ``last_follower`` was published; never moves
        the progress backwards."""
        ...
