"""The dispatcher's use case: one event to the topic of every subscriber group it routes to.

The feed group gets the yubl once per group of the author's followers; every other group
gets the event once. A group that fails does not stop the others: all are tried, then
the failures are raised together, so the record's failure policy retries it, and the
retry resumes each follower-shaped group where it stopped and repeats the event-shaped
ones (their consumers are idempotent).

What depends only on the post is decided here, once: whether it is pulled (a
celebrity's), which followers mute its author (left out before grouping), which lane it
takes. The dispatcher reads at most ``priority_max + 1`` followers of a post (one
Query): a fan-out to at most ``priority_max`` followers is published from here on the
group's priority lane, its own topic and worker, so small posts never queue behind a
large one; a larger fan-out has its first ``priority_max`` followers published from here
on the bulk lane (its head, in groups as small as a small post's: its first entries
land at once) and the rest handed to a range worker in one plan message
(``range_fanout``), published in groups of ``bulk_group_size``, so the shard never
waits on a large plan.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from itertools import chain
from typing import Any

from ..domain.delete_messages import delete_event_message
from ..domain.deletes import YUBL_DELETED, parse_yubl_deleted
from ..domain.errors import PermanentFailure
from ..domain.follower_fanout import FollowerFanout
from ..domain.follower_ranges import PLAN_DONE
from ..domain.mentions import mentioned
from ..domain.posts import DEFAULT_MAX_CLOCK_SKEW, iso_millis, parse_yubl_posted
from ..domain.routing import (
    RoutingTable,
    Shape,
    SubscriberGroup,
    event_message,
    routing_attributes,
)
from .celebrities import FEED_GROUP, CelebrityPolicy
from .follower_publishing import GroupPublishing, Published, publish_pages
from .mutes import MuteStore, followers_not_muting
from .ports import FanoutProgress, FollowerStore, GroupPublisher, PostStore
from .range_fanout import RangeFanout

__all__ = [
    "BULK",
    "DEFAULT_PRIORITY_MAX_FOLLOWERS",
    "PRIORITY",
    "Distribution",
    "DistributionService",
    "GroupDelivery",
    "GroupsFailed",
    "GroupsRefused",
    "Lanes",
]

DEFAULT_PRIORITY_MAX_FOLLOWERS = 1_000
"""``FANOUT_PRIORITY_MAX_FOLLOWERS``: a fan-out to at most this many takes the priority lane."""
PRIORITY, BULK = "priority", "bulk"


@dataclass(frozen=True)
class Lanes:
    """The two lanes of a follower-shaped group: small fan-outs (at most ``priority_max``
    followers) on ``priority`` (the groups' priority topics; None: their own topics),
    in groups of the service's ``group_size``; the rest on the groups' own topics, the
    dispatcher's head in groups of ``group_size`` too, the range workers' in groups of
    ``bulk_group_size`` (None: ``group_size``)."""

    priority_max: int = DEFAULT_PRIORITY_MAX_FOLLOWERS
    priority: GroupPublisher | None = None
    bulk_group_size: int | None = None

    def __post_init__(self) -> None:
        if self.priority_max < 1:
            raise ValueError("priority_max must be at least 1")


@dataclass(frozen=True)
class GroupDelivery:
    group: str
    messages: int
    batches: int
    followers: int = 0  # followers in its messages (or left out as muters) by this call
    resumed_after: str | None = None  # the last follower an earlier attempt had published
    handed_off: bool = False  # the followers after the head went to a range worker (a plan)
    pulled: bool = False  # a celebrity's post: not fanned out, merged into feeds at read time
    lane: str | None = None  # PRIORITY or BULK: where its group messages went
    muted: int = 0  # followers left out: they mute the author


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
        mutes: MuteStore | None = None,
        lanes: Lanes | None = None,
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
        self._mutes = mutes
        self._lanes = lanes or Lanes()

    def distribute(self, event: Any, arrived_at: datetime | None = None) -> Distribution:
        """Publish the event to every group its type routes to; ``arrived_at`` (when its
        record reached the stream) travels with it to the group messages.

        Raises ``InvalidInput`` (before any publish) for an event that is invalid or has
        no route, and ``GroupsFailed`` after trying every group if some failed.
        """
        arrival = None if arrived_at is None else iso_millis(arrived_at)
        event_type = event.get("type") if isinstance(event, dict) else None
        if event_type == YUBL_DELETED:
            return self._delete(event, arrival)
        groups = self._routing.groups_for(event_type)
        yubl = parse_yubl_posted(event, now=self._clock(), max_skew=self._max_skew)
        # stored once before any fan-out: every reference published below can be hydrated
        stored = self._posts.put(yubl)
        if not stored and not self._posts.live([(yubl.author_id, yubl.yubl_id)]):
            # deleted before this (replayed or retried) post was read: it never appears
            return Distribution(yubl.yubl_id, str(event_type), ())
        policy = self._celebrities

        def fan_out(group: str, attributes: dict[str, str]) -> GroupDelivery:
            # a celebrity's post is not fanned out to feeds: their readers merge it
            # (decided once, on the post's first attempt, and kept on the post: a retry
            # never flips it), once the first read of followers says how many there are
            pulls = partial(policy.pulls, yubl, stored) if policy and group == FEED_GROUP else None
            fanout = FollowerFanout(yubl, arrival)
            return self._fan_out(fanout, group, attributes, first=stored, pulls=pulls)

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

    def _delete(self, event: Any, arrival: str | None) -> Distribution:
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
            fan_out=partial(self._fan_out, FollowerFanout(deleted, arrival)),
            message=lambda: delete_event_message(deleted, mentions),
            author_id=author,
        )

    def _fan_out(
        self,
        fanout: FollowerFanout,
        group: str,
        attributes: dict[str, str],
        first: bool = False,
        pulls: Callable[[int | None], bool] | None = None,
    ) -> GroupDelivery:
        """The event to every follower of its author, its progress kept under
        ``fanout.subject`` (a post's yubl id, a delete's event id): one read of at most
        ``priority_max + 1`` followers decides the lane (and, asked with at most how
        many there are, ``pulls`` whether it is a celebrity's post). A ``first`` attempt
        (the one that stored the post) has no progress to read. A retry hands everything
        after the saved position to the plan (it publishes no second head): a plan
        message sent twice starts at the same follower, and the plan keeps its own
        progress."""
        lanes, progress, author = self._lanes, self._progress, fanout.author_id
        after = progress.last_published(fanout.subject, group) if progress and not first else None
        if after == PLAN_DONE:
            return GroupDelivery(group, 0, 0, resumed_after=after, handed_off=True)
        page = self._followers.head(author, lanes.priority_max + 1, after)
        if pulls is not None and pulls(len(page) if len(page) <= lanes.priority_max else None):
            return GroupDelivery(group, messages=0, batches=0, pulled=True)
        how = self._publishing(fanout, group, attributes)  # the bulk lane, small groups
        if len(page) <= lanes.priority_max:
            how = replace(how, publisher=lanes.priority or self._publisher)
            return _delivered(group, PRIORITY, publish_pages(how, [page], after))
        if self._ranges is None:  # no range workers: the rest is published from here too
            how = replace(how, group_size=lanes.bulk_group_size or self._group_size)
            rest = self._followers.iter_pages(author, self._page_size, page[-1])
            return _delivered(group, BULK, publish_pages(how, chain([page], rest), after))
        # the head in small groups, as a small post's: its first entries land at once
        head = page[: lanes.priority_max] if after is None else []
        published = publish_pages(how, [head], after)
        self._ranges.hand_off(fanout, group, attributes, head[-1] if head else after)
        if progress is not None:
            progress.record_published(fanout.subject, group, PLAN_DONE)
        return replace(
            _delivered(group, BULK, published),
            batches=published.batches + 1,
            handed_off=True,
        )

    def _publishing(
        self, fanout: FollowerFanout, group: str, attributes: dict[str, str]
    ) -> GroupPublishing:
        """The event's groups on the group's own topic, ``group_size`` followers each."""
        mutes = self._mutes
        return GroupPublishing(
            subject=fanout.subject,
            encode=fanout.encode,
            group=group,
            attributes=attributes,
            publisher=self._publisher,
            group_size=self._group_size,
            progress=self._progress,
            progress_key=group,
            leave_out=(
                partial(followers_not_muting, mutes, fanout.author_id)
                if mutes is not None and fanout.leaves_out_muters
                else None
            ),
        )


def _delivered(group: str, lane: str, published: Published) -> GroupDelivery:
    return GroupDelivery(
        group,
        published.messages,
        published.batches,
        followers=published.followers,
        resumed_after=published.resumed_after,
        lane=lane,
        muted=published.muted,
    )
