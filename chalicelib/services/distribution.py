"""The dispatcher's use case: one event to the topic of every subscriber group it routes to.

The feed group gets the yubl once per group of the author's followers; every other group
gets the event once. A group that fails does not stop the others: all are tried, then
the failures are raised together, so the record's failure policy retries it, and the
retry resumes each follower-shaped group where it stopped and repeats the event-shaped
ones (their consumers are idempotent).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from ..domain.delete_messages import delete_event_message
from ..domain.deletes import YUBL_DELETED, parse_yubl_deleted
from ..domain.errors import PermanentFailure
from ..domain.follower_fanout import FollowerFanout
from ..domain.mentions import mentioned
from ..domain.posts import DEFAULT_MAX_CLOCK_SKEW, parse_yubl_posted
from ..domain.routing import (
    RoutingTable,
    Shape,
    SubscriberGroup,
    event_message,
    routing_attributes,
)
from .celebrities import FEED_GROUP, CelebrityPolicy
from .follower_publishing import publish_follower_groups
from .ports import FanoutProgress, FollowerStore, GroupPublisher, PostStore
from .range_fanout import RangeFanout

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
    ranges: int = 0  # follower ranges handed to range workers (0: published from here)
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
        ranges: RangeFanout | None = None,
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
        self._ranges = ranges
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
        # a celebrity's post is not fanned out to feeds: their readers merge it (decided
        # once, on the post's first attempt, and kept on the post: a retry never flips it)
        pulled = (
            self._celebrities is not None
            and any(group.name == FEED_GROUP for group in groups)
            and self._celebrities.pulls(yubl, first=stored)
        )

        def fan_out(group: str, attributes: dict[str, str]) -> GroupDelivery:
            if pulled and group == FEED_GROUP:
                return GroupDelivery(group, messages=0, batches=0, pulled=True)
            return self._fan_out(FollowerFanout(yubl), group, attributes)

        return self._publish(
            str(event_type),
            yubl.yubl_id,
            groups,
            fan_out=fan_out,
            message=lambda: event_message(str(event_type), yubl),
            author_id=yubl.author_id,
        )

    def _publish(
        self,
        event_type: str,
        yubl_id: str,
        groups: tuple[SubscriberGroup, ...],
        fan_out: Callable[[str, dict[str, str]], GroupDelivery],
        message: Callable[[], str],
        author_id: str,
    ) -> Distribution:
        """Every group tried: follower-shaped ones through ``fan_out``, the others get
        ``message()`` once; the failures raised together at the end."""
        done: list[GroupDelivery] = []
        failures: list[tuple[str, Exception]] = []
        for group in groups:
            attributes = routing_attributes(event_type, author_id, group.name)
            try:
                if group.shape is Shape.FOLLOWERS:
                    done.append(fan_out(group.name, attributes))
                else:
                    self._publisher.publish_batch(group.name, [message()], attributes)
                    done.append(GroupDelivery(group.name, messages=1, batches=1))
            except Exception as err:  # by design: one group's failure must not stop the rest
                failures.append((group.name, err))
        if failures:
            permanent = all(isinstance(err, PermanentFailure) for _, err in failures)
            raise (GroupsRefused if permanent else GroupsFailed)(yubl_id, failures)
        return Distribution(yubl_id, event_type, tuple(done))

    def _delete(self, event: Any) -> Distribution:
        """Tombstone the post: every read skips it from now on (from the API's answer
        on, when the delete came through the API: its mark kept the text, read here for
        the mentions), and a post event read later (a replay) is not fanned out. Then the
        delete goes to its groups: the feed group per group of followers
        (``feed-remove``; through range workers for a large author, as a post), the
        others once with the users the text mentioned (kept by the tombstone, so a
        retry still knows them)."""
        deleted = parse_yubl_deleted(event, now=self._clock(), max_skew=self._max_skew)
        author, yubl_id = deleted.author_id, deleted.yubl_id
        routed = YUBL_DELETED in self._routing.routes
        groups = self._routing.groups_for(YUBL_DELETED) if routed else ()
        post = self._posts.stored(author, yubl_id)
        mentions = self._posts.tombstone(
            author, yubl_id, deleted.deleted_at, mentioned(post) if post else ()
        )

        return self._publish(
            YUBL_DELETED,
            yubl_id,
            groups,
            fan_out=partial(self._fan_out, FollowerFanout(deleted)),
            message=lambda: delete_event_message(deleted, mentions),
            author_id=author,
        )

    def _fan_out(
        self, fanout: FollowerFanout, group: str, attributes: dict[str, str]
    ) -> GroupDelivery:
        """The event to every follower of its author: handed to range workers when the
        author has a range's worth of followers or more (``ranges``), else published
        from here in follower groups (see ``follower_publishing``); its progress is kept
        under ``fanout.subject`` (the post's yubl id, a delete's event id)."""
        if self._ranges is not None:
            plan = self._ranges.plan(fanout, group, attributes)
            if plan is not None:
                return GroupDelivery(
                    group,
                    plan.messages,
                    plan.batches,
                    ranges=plan.ranges,
                    resumed_after=plan.resumed_after,
                )
        author_id = fanout.author_id
        published = publish_follower_groups(
            fanout.subject,
            fanout.encode,
            group,
            attributes,
            lambda after: self._followers.iter_pages(author_id, self._page_size, after),
            publisher=self._publisher,
            group_size=self._group_size,
            progress=self._progress,
            progress_key=group,
        )
        return GroupDelivery(
            group,
            published.messages,
            published.batches,
            followers=published.followers,
            resumed_after=published.resumed_after,
        )
