"""The dispatcher's use case: one event to the topic of every subscriber group it routes to.

The feed group gets the yubl once per group of the author's followers; every other group
gets the event once. A group that fails does not stop the others: all are tried, then
the failures are raised together, so the record's failure policy retries it, and the
retry resumes each follower-shaped group where it stopped and repeats the event-shaped
ones (their consumers are idempotent).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ..domain.deletes import YUBL_DELETED, parse_yubl_deleted
from ..domain.errors import PermanentFailure
from ..domain.fanout import encode_group_parts, follower_groups, pack_batches
from ..domain.posts import DEFAULT_MAX_CLOCK_SKEW, Yubl, parse_yubl_posted
from ..domain.routing import RoutingTable, Shape, event_message, routing_attributes
from .celebrities import FEED_GROUP, CelebrityPolicy
from .ports import FanoutProgress, FollowerStore, GroupPublisher, PostStore

__all__ = [
    "Distribution",
    "DistributionService",
    "GroupDelivery",
    "GroupsFailed",
    "GroupsRefused",
]


@dataclass(frozen=True)
class GroupDelivery:
    group: str
    messages: int
    batches: int
    followers: int = 0  # followers published by this call (a resumed call skips the rest)
    resumed_after: str | None = None  # the last follower an earlier attempt had published
    pulled: bool = False  # a celebrity's post: not fanned out, merged into feeds at read time


@dataclass(frozen=True)
class Distribution:
    yubl_id: str
    event_type: str
    groups: tuple[GroupDelivery, ...]

    @property
    def followers(self) -> int:
        return sum(g.followers for g in self.groups)


class GroupsFailed(RuntimeError):
    """Publishing to some groups failed; the others were published. Retry the record."""

    def __init__(self, yubl_id: str, failures: list[tuple[str, Exception]]) -> None:
        self.groups = tuple(group for group, _ in failures)
        super().__init__(
            f"yubl {yubl_id} not published to group(s) {', '.join(self.groups)}: "
            + "; ".join(f"{group}: {type(err).__name__}: {err}" for group, err in failures)
        )


class GroupsRefused(GroupsFailed, PermanentFailure):
    """Every failed group was refused for good (a topic that does not exist, say)."""


class DistributionService:
    def __init__(
        self,
        followers: FollowerStore,
        publisher: GroupPublisher,
        routing: RoutingTable,
        group_size: int,
        page_size: int = 1000,
        progress: FanoutProgress | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        max_skew: timedelta = DEFAULT_MAX_CLOCK_SKEW,
        *,
        posts: PostStore,
        celebrities: CelebrityPolicy | None = None,
    ) -> None:
        self._followers = followers
        self._posts = posts
        self._publisher = publisher
        self._routing = routing
        self._group_size = group_size
        self._page_size = page_size
        self._progress = progress
        self._clock = clock
        self._max_skew = max_skew
        self._celebrities = celebrities

    def distribute(self, event: Any) -> Distribution:
        """Publish the event to every group its type routes to.

        Raises ``InvalidInput`` (before any publish) for an event that is invalid or has
        no route, and ``GroupsFailed`` after trying every group if some failed.
        """
        event_type = event.get("type") if isinstance(event, dict) else None
        if event_type == YUBL_DELETED:
            return self._delete(event)
        groups = self._routing.groups_for(event_type)
        yubl = parse_yubl_posted(event, now=self._clock(), max_skew=self._max_skew)
        # stored once before any fan-out: every reference published below can be hydrated
        stored = self._posts.put(yubl)
        if not stored and not self._posts.live([(yubl.author_id, yubl.yubl_id)]):
            # deleted before this (replayed or retried) post was read: it never appears
            return Distribution(yubl.yubl_id, str(event_type), ())
        done: list[GroupDelivery] = []
        failures: list[tuple[str, Exception]] = []
        pulled = (
            self._celebrities is not None
            and any(group.name == FEED_GROUP for group in groups)
            and self._celebrities.pulls(yubl, first=stored)
        )
        for group in groups:
            attributes = routing_attributes(str(event_type), yubl.author_id, group.name)
            try:
                if pulled and group.name == FEED_GROUP:
                    done.append(GroupDelivery(group.name, messages=0, batches=0, pulled=True))
                elif group.shape is Shape.FOLLOWERS:
                    done.append(self._fan_out(yubl, group.name, attributes))
                else:
                    message = event_message(str(event_type), yubl)
                    self._publisher.publish_batch(group.name, [message], attributes)
                    done.append(GroupDelivery(group.name, messages=1, batches=1))
            except Exception as err:  # by design: one group's failure must not stop the rest
                failures.append((group.name, err))
        if failures:
            permanent = all(isinstance(err, PermanentFailure) for _, err in failures)
            raise (GroupsRefused if permanent else GroupsFailed)(yubl.yubl_id, failures)
        return Distribution(yubl.yubl_id, str(event_type), tuple(done))

    def _delete(self, event: Any) -> Distribution:
        """Tombstone the post: every read skips it from now on, and a post event read
        later (a replay) is not fanned out."""
        deleted = parse_yubl_deleted(event, now=self._clock(), max_skew=self._max_skew)
        self._posts.tombstone(deleted.author_id, deleted.yubl_id, deleted.deleted_at)
        return Distribution(deleted.yubl_id, YUBL_DELETED, ())

    def _fan_out(self, yubl: Yubl, group: str, attributes: dict[str, str]) -> GroupDelivery:
        """The yubl to every follower of its author, in follower groups.

        Followers are streamed page by page and batches published as they fill, so an
        author with a million followers never sits in memory at once. After each batch
        the progress is saved; a retried event starts after the last published follower.
        """
        progress = self._progress
        after = progress.last_published(yubl.yubl_id, group) if progress else None
        followers = messages = batches = 0
        last_of_message: deque[str] = deque()  # per message yielded, its last follower

        def pages() -> Iterator[list[str]]:
            nonlocal followers
            for page in self._followers.iter_pages(yubl.author_id, self._page_size, after):
                followers += len(page)
                yield page

        def group_messages() -> Iterator[str]:
            for chunk in follower_groups(pages(), self._group_size):
                for message, carried in encode_group_parts(yubl, chunk):
                    last_of_message.append(carried[-1])
                    yield message

        for batch in pack_batches(group_messages()):
            self._publisher.publish_batch(group, batch, attributes)
            batches += 1
            messages += len(batch)
            for _ in batch:
                last = last_of_message.popleft()
            if progress is not None:
                progress.record_published(yubl.yubl_id, group, last)
        return GroupDelivery(group, messages, batches, followers=followers, resumed_after=after)
