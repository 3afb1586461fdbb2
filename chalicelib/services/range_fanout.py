"""Fan-out in follower ranges: the dispatcher plans, range workers publish in parallel.

The event fanned out is a post or a delete (``FollowerFanout``): both take the same path,
a delete's progress kept under its own event id. ``plan`` (in the dispatcher) cuts the
author's follower index into ranges of ``range_size`` followers by counting reads (no
follower ids travel) and publishes one message per range to the work topic, ten a
PublishBatch call; ``work`` (in a range worker, one message) pages its range and
publishes the follower-group messages, exactly as the direct path does for a small
author. Both save their progress in the fan-out
progress table after every batch, so a retried plan or range resumes where it stopped:
a retry repeats at most the one batch whose progress was not saved, and feed writes are
keyed by (follower, yubl), so a repeat never shows in a feed.

An author with fewer than ``range_size`` followers is not planned (``plan`` returns
None): one invocation publishes them sooner than a hop through the work topic.
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
    plan_progress_key,
    range_message,
    range_progress_key,
    ranges_between,
)
from ..domain.posts import DEFAULT_MAX_CLOCK_SKEW
from ..domain.routing import RoutingTable, Shape, routing_attributes
from .follower_publishing import publish_follower_groups, publish_in_batches
from .ports import FanoutProgress, FollowerIndex, GroupPublisher, MessagePublisher

__all__ = ["RangeDelivery", "RangeFanout", "RangePlan"]


@dataclass(frozen=True)
class RangePlan:
    ranges: int  # range messages published by this call
    batches: int
    resumed_after: str | None  # the last boundary an earlier attempt had published

    @property
    def messages(self) -> int:
        return self.ranges


@dataclass(frozen=True)
class RangeDelivery:
    yubl_id: str
    event_type: str
    group: str
    range: FollowerRange
    followers: int  # published by this call
    messages: int
    batches: int
    resumed_after: str | None


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

    def plan(
        self, fanout: FollowerFanout, group: str, attributes: Mapping[str, str]
    ) -> RangePlan | None:
        """Publish the ranges of the author's followers; None if the direct path should
        publish them (fewer than a range, or an earlier attempt took that path)."""
        # the counting read first: a small author (most posts) costs one Query more than
        # the direct path and no progress read (an author who fell below a range since
        # an earlier attempt planned this post is published directly again, in full)
        author, subject = fanout.author_id, fanout.subject
        boundaries = self._index.boundaries(author, self._range_size)
        first = next(boundaries, None)
        if first is None:
            return None
        progress = self._progress
        key = plan_progress_key(group)
        planned = progress.last_published(subject, key) if progress else None
        if planned == PLAN_DONE:
            return RangePlan(0, 0, resumed_after=PLAN_DONE)
        if planned is None:
            if progress is not None and progress.last_published(subject, group) is not None:
                return None  # begun on the direct path: finish it there
            boundaries = chain([first], boundaries)
        else:
            boundaries = self._index.boundaries(author, self._range_size, planned)
        return self._publish_plan(fanout, group, attributes, boundaries, planned)

    def _publish_plan(
        self,
        fanout: FollowerFanout,
        group: str,
        attributes: Mapping[str, str],
        boundaries: Iterator[str],
        planned: str | None,
    ) -> RangePlan:
        def messages() -> Iterator[tuple[str, str]]:
            """Each range's message, positioned at the end of its range."""
            for follower_range in ranges_between(boundaries, planned):
                yield range_message(fanout, group, follower_range), follower_range.end or PLAN_DONE

        progress = self._progress
        ranges, batches = publish_in_batches(
            messages(),
            lambda batch: self._work.publish_batch(batch, attributes),
            None
            if progress is None
            else partial(progress.record_published, fanout.subject, plan_progress_key(group)),
        )
        return RangePlan(ranges, batches, resumed_after=planned)

    def work(self, message: object) -> RangeDelivery:
        """Publish the follower-group messages of one range (validated before any read)."""
        work = self._check(parse_range_message(message, now=self._clock(), max_skew=self._max_skew))
        fanout, follower_range = work.fanout, work.range
        published = publish_follower_groups(
            fanout.subject,
            fanout.encode,
            work.group,
            routing_attributes(work.event_type, fanout.author_id, work.group),
            lambda after: self._index.range_pages(
                fanout.author_id,
                self._page_size,
                after or follower_range.start_after,
                follower_range.end,
            ),
            publisher=self._groups,
            group_size=self._group_size,
            progress=self._progress,
            progress_key=range_progress_key(work.group, follower_range),
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
