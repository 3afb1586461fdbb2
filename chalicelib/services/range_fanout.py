"""Fan-out in follower ranges: range workers plan and publish a large fan-out in parallel.

The event fanned out is a post or a delete (``FollowerFanout``): both take the same path,
a delete's progress kept under its own event id. The dispatcher publishes a large
fan-out's first followers itself and hands the rest over (``hand_off``: one plan message
on the work topic), so its shard never waits on the plan. A range worker takes the plan
(``work`` on a ``follower-plan`` message): it cuts the followers after the head into
ranges of ``range_size`` by counting reads (no follower ids travel) and publishes one
message per range to the work topic, ten a PublishBatch call; when they are fewer than a
range, it publishes them itself, sooner than a hop through the work topic. A range
worker then takes each range (``work`` on a ``follower-range`` message): it pages its
range, leaves out the author's muters (a post's; one Query per page), and publishes the
follower-group messages. Plan and ranges save their progress in the fan-out progress
table after every batch, so a retried plan or range resumes where it stopped: a retry
repeats at most the one batch whose progress was not saved, and feed writes are keyed
by (follower, yubl), so a repeat never shows in a feed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from itertools import chain

from ..domain.errors import InvalidInput
from ..domain.follower_fanout import FollowerFanout
from ..domain.follower_ranges import (
    PLAN_DONE,
    FollowerRange,
    RangeWork,
    parse_range_message,
    plan_message,
    plan_progress_key,
    range_message,
    range_progress_key,
    ranges_between,
)
from ..domain.posts import DEFAULT_MAX_CLOCK_SKEW
from ..domain.routing import RoutingTable, Shape, routing_attributes
from .follower_publishing import GroupPublishing, publish_follower_groups, publish_in_batches
from .mutes import MuteStore, followers_not_muting
from .ports import FanoutProgress, FollowerIndex, GroupPublisher, MessagePublisher

__all__ = ["RangeDelivery", "RangeFanout"]


@dataclass(frozen=True)
class RangeDelivery:
    yubl_id: str
    event_type: str
    group: str
    range: FollowerRange
    followers: int  # read by this call (0 when a plan published ranges)
    messages: int  # group messages, or range messages when ``ranges``
    batches: int
    resumed_after: str | None
    ranges: int = 0  # range messages a plan published (0: it published its followers itself)
    muted: int = 0  # followers left out: they mute the author


class RangeFanout:
    def __init__(
        self,
        index: FollowerIndex,
        work: MessagePublisher,
        groups: GroupPublisher,
        routing: RoutingTable,
        *,
        range_size: int,
        page_size: int,
        group_size: int,
        progress: FanoutProgress | None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        max_skew: timedelta = DEFAULT_MAX_CLOCK_SKEW,
        mutes: MuteStore | None = None,
    ) -> None:
        if range_size < 1:
            raise ValueError("range size must be at least 1")
        self._index = index
        self._work = work
        self._groups = groups
        self._routing = routing
        self._range_size = range_size
        self._page_size = page_size
        self._group_size = group_size
        self._progress = progress
        self._clock = clock
        self._max_skew = max_skew
        self._mutes = mutes

    def hand_off(
        self,
        fanout: FollowerFanout,
        group: str,
        attributes: Mapping[str, str],
        start_after: str | None,
    ) -> None:
        """The followers after ``start_after`` to a range worker: one plan message."""
        self._work.publish_batch([plan_message(fanout, group, start_after)], attributes)

    def work(self, message: object) -> RangeDelivery:
        """A plan or a range, validated before any read."""
        work = self._check(parse_range_message(message, now=self._clock(), max_skew=self._max_skew))
        return self._plan(work) if work.plan else self._publish_range(work)

    def _plan(self, work: RangeWork) -> RangeDelivery:
        """The ranges of the followers after the head, published; or, if they are fewer
        than a range, their groups. The count first: a range's worth of followers ahead
        of the head needs ranges (a resumed plan always does)."""
        fanout, group, start = work.fanout, work.group, work.range.start_after
        progress, author = self._progress, fanout.author_id
        planned = (
            progress.last_published(fanout.subject, plan_progress_key(group)) if progress else None
        )
        if planned == PLAN_DONE:
            return self._delivery(work, 0, 0, 0, PLAN_DONE)
        boundaries = self._index.boundaries(author, self._range_size, planned or start)
        if planned is None:
            first = next(boundaries, None)
            if first is None:
                return self._publish_range(work)  # one range: the plan's own followers
            boundaries = chain([first], boundaries)
        attributes = routing_attributes(work.event_type, author, group)

        def messages() -> Iterator[tuple[str, str]]:
            """Each range's message, positioned at the end of its range."""
            for follower_range in ranges_between(boundaries, planned or start):
                yield range_message(fanout, group, follower_range), follower_range.end or PLAN_DONE

        ranges, batches = publish_in_batches(
            messages(),
            lambda batch: self._work.publish_batch(batch, attributes),
            None
            if progress is None
            else partial(progress.record_published, fanout.subject, plan_progress_key(group)),
        )
        return self._delivery(work, ranges, batches, ranges, planned)

    def _publish_range(self, work: RangeWork) -> RangeDelivery:
        """The follower-group messages of one range (a plan's only one, when it found
        fewer followers than a range), the author's muters left out of a post's."""
        fanout, follower_range = work.fanout, work.range
        mutes = self._mutes
        how = GroupPublishing(
            subject=fanout.subject,
            encode=fanout.encode,
            group=work.group,
            attributes=routing_attributes(work.event_type, fanout.author_id, work.group),
            publisher=self._groups,
            group_size=self._group_size,
            progress=self._progress,
            progress_key=range_progress_key(work.group, follower_range),
            leave_out=(
                partial(followers_not_muting, mutes, fanout.author_id)
                if mutes is not None and fanout.leaves_out_muters
                else None
            ),
        )
        published = publish_follower_groups(
            how,
            lambda after: self._index.range_pages(
                fanout.author_id,
                self._page_size,
                after or follower_range.start_after,
                follower_range.end,
            ),
        )
        return RangeDelivery(
            fanout.yubl_id,
            work.event_type,
            work.group,
            follower_range,
            published.followers,
            published.messages,
            published.batches,
            published.resumed_after,
            muted=published.muted,
        )

    @staticmethod
    def _delivery(
        work: RangeWork, messages: int, batches: int, ranges: int, resumed_after: str | None
    ) -> RangeDelivery:
        return RangeDelivery(
            work.fanout.yubl_id,
            work.event_type,
            work.group,
            work.range,
            0,
            messages,
            batches,
            resumed_after,
            ranges=ranges,
        )

    def _check(self, work: RangeWork) -> RangeWork:
        group = self._routing.groups.get(work.group)
        if group is None or group.shape is not Shape.FOLLOWERS:
            raise InvalidInput(
                "group", f"is not a follower-shaped subscriber group: {work.group!r:.60}"
            )
        if work.group not in self._routing.routes.get(work.event_type, ()):
            raise InvalidInput(
                "event_type", f"{work.event_type!r:.60} does not route to {work.group}"
            )
        return work
