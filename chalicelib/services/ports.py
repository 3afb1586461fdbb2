"""The ports the services need; adapters implement them for AWS and in memory."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol

from ..domain.feed import FeedEntry, FeedRef
from ..domain.feed_merge import SourcePage
from ..domain.paging import Page
from ..domain.posts import Yubl

__all__ = [
    "ActivityStore",
    "ArchiveStore",
    "AuthorIndex",
    "AuthorPosts",
    "EventPublisher",
    "FanoutProgress",
    "FeedSource",
    "FeedStore",
    "FollowerIndex",
    "FollowerStore",
    "GroupPublisher",
    "MessagePublisher",
    "PostStore",
    "PulledPosts",
    "TrimMarks",
    "UserDirectory",
]


class FollowerStore(Protocol):
    def add(self, user_id: str, follower_id: str) -> None: ...

    def remove(self, user_id: str, follower_id: str) -> None: ...

    def page(self, user_id: str, limit: int, cursor: str | None) -> Page[str]:
        """One page of followers in id order; raises InvalidInput for a bad cursor."""
        ...

    def following(self, follower_id: str, limit: int, cursor: str | None) -> Page[str]:
        """One page of the users ``follower_id`` follows, in id order; raises InvalidInput
        for a bad cursor."""
        ...

    def iter_pages(
        self, user_id: str, page_size: int, after: str | None = None
    ) -> Iterator[list[str]]:
        """Every follower (those after ``after`` when given), page by page in ascending id
        order, without holding them all in memory."""
        ...

    def head(self, user_id: str, limit: int, after: str | None = None) -> list[str]:
        """At most ``limit`` followers (after ``after`` when given), in ascending id order:
        one Query, however many followers there are."""
        ...

    def follows(self, user_id: str, follower_id: str) -> bool:
        """Whether ``follower_id`` follows ``user_id`` now (a strongly consistent read)."""
        ...


class FollowerIndex(Protocol):
    """The follower index read in ranges, for fan-outs too large for one invocation."""

    def boundaries(self, user_id: str, every: int, after: str | None = None) -> Iterator[str]:
        """The id of every ``every``-th follower (after ``after`` when given), ascending,
        one counting read each: the followers between are counted, not returned."""
        ...

    def range_pages(
        self, user_id: str, page_size: int, after: str | None, end: str | None
    ) -> Iterator[list[str]]:
        """The followers with ``after < id <= end`` (open sides when None), page by page in
        ascending id order."""
        ...


class FeedStore(Protocol):
    def put_entries(self, entries: Sequence[FeedEntry]) -> None:
        """Write every entry as a reference (overwriting same keys) or raise."""
        ...

    def page(self, user_id: str, limit: int, cursor: str | None) -> Page[FeedRef]:
        """One page of a feed's references, newest first; raises InvalidInput for a bad
        cursor."""
        ...

    def remove_entries(self, keys: Sequence[tuple[str, str]]) -> None:
        """Delete the entries of these ``(user_id, yubl_id)`` keys (absent ones are no
        error) or raise."""
        ...

    def refs_by_author(self, user_id: str, author_id: str) -> list[FeedRef]:
        """Every reference in ``user_id``'s feed to a post of ``author_id``."""
        ...


class PostStore(Protocol):
    """Every yubl once, keyed by (author, yubl id); the text lives only here."""

    def put(self, yubl: Yubl) -> bool:
        """Store the yubl unless its key is already there (a replay, or a delete that came
        first); True if this call stored it."""
        ...

    def live(self, keys: Sequence[tuple[str, str]]) -> dict[str, Yubl]:
        """The stored, not deleted posts among ``(author_id, yubl_id)`` keys, by yubl id
        (a strongly consistent read: a delete's 202 is never followed by its post)."""
        ...

    def page(self, author_id: str, limit: int, cursor: str | None) -> Page[Yubl]:
        """One page of an author's posts not deleted, newest first (a strongly consistent
        read); raises InvalidInput for a bad cursor."""
        ...

    def is_deleted(self, author_id: str, yubl_id: str) -> bool:
        """Whether the post has a tombstone (a strongly consistent read); a post never
        stored is not deleted."""
        ...

    def mark_deleted(self, author_id: str, yubl_id: str, deleted_at: str) -> str:
        """Mark the post deleted unless it already is, and return the ``deleted_at`` it
        holds (the first delete's): every read skips it from then on. Written even if the
        post has not arrived yet, so its later ``put`` is refused. The text stays for the
        dispatcher's clean-up (``stored``, then ``tombstone``)."""
        ...

    def stored(self, author_id: str, yubl_id: str) -> Yubl | None:
        """The post with its text, deleted or not (a strongly consistent read); None if it
        was never stored or a tombstone dropped its text."""
        ...

    def tombstone(
        self, author_id: str, yubl_id: str, deleted_at: str, mentions: Sequence[str] = ()
    ) -> list[str]:
        """Mark the post deleted (``deleted_at`` kept if there is one) and drop its text;
        written even if the post has not arrived yet, so a delete that overtakes its post
        still wins. The first tombstone keeps ``mentions`` (who the text named, for the
        clean-up) and a repeated one keeps them; returns the mentions kept."""
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


class ActivityStore(Protocol):
    """Each user's last recorded feed read, as an hour (``chalicelib.domain.activity``)."""

    def last_read(self, user_id: str) -> str | None:
        """The user's recorded hour, None if none was recorded (one read unit at most)."""
        ...

    def last_reads(self, user_ids: Sequence[str]) -> dict[str, str]:
        """The recorded hours of those users that have one (batched reads, no writes)."""
        ...

    def record_read(self, user_id: str, hour: str) -> bool:
        """Record ``hour`` unless an hour as late is there already; True if written."""


class AuthorIndex(Protocol):
    """Per author: the follower count (kept by follow and unfollow, atomically with the
    relationship) and whether any of their posts was pulled instead of fanned out."""

    def follower_count(self, author_id: str) -> int: ...

    def mark_pulling(self, author_id: str) -> None:
        """Remember for good that the author has pulled posts (idempotent)."""
        ...

    def pulling(self) -> set[str]:
        """Every author with pulled posts: few, the celebrities past and present."""
        ...


class PulledPosts(Protocol):
    """Posts not fanned out (their author was a celebrity when they were posted): the
    feed read merges them in, whatever the author's follower count is now."""

    def mark(self, author_id: str, yubl_id: str) -> None:
        """Flag a stored post as pulled (idempotent)."""
        ...

    def is_pulled(self, author_id: str, yubl_id: str) -> bool: ...

    def before(self, author_id: str, limit: int, before: str | None) -> SourcePage[Yubl]:
        """The author's newest ``limit`` pulled, not deleted posts with a yubl id below
        ``before`` (all when None), newest first."""
        ...


class FeedSource(Protocol):
    """A feed's references by position, for the merged read."""

    def refs_before(self, user_id: str, limit: int, before: str | None) -> SourcePage[FeedRef]:
        """The newest ``limit`` references with a yubl id below ``before``, newest first."""
        ...


class TrimMarks(Protocol):
    """Which users' feeds a trim to the cap has cut short: only their reads go on past
    the stored feed's end (an uncut feed holds everything fanned out to it)."""

    def mark_trimmed(self, user_ids: Sequence[str]) -> None:
        """Remember for good that these feeds were cut short (idempotent)."""
        ...

    def was_trimmed(self, user_id: str) -> bool: ...


class AuthorPosts(Protocol):
    """An author's posts by position, for reads past the end of a stored feed."""

    def before(self, author_id: str, limit: int, before: str | None) -> SourcePage[Yubl]:
        """The author's newest ``limit`` not deleted posts with a yubl id below ``before``
        (all when None), newest first."""
        ...
