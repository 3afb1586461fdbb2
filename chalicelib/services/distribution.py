"""The dispatcher's use case: one yubl to every follower, in groups, through SNS."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ..domain.fanout import encode_group_parts, follower_groups, pack_batches
from ..domain.posts import DEFAULT_MAX_CLOCK_SKEW, parse_yubl_posted
from .ports import FanoutProgress, FollowerStore, MessagePublisher

__all__ = ["Distribution", "DistributionService"]


@dataclass(frozen=True)
class Distribution:
    yubl_id: str
    followers: int  # followers published by this call (a resumed call skips the rest)
    messages: int
    batches: int
    resumed_after: str | None = None  # the last follower an earlier attempt had published


class DistributionService:
    def __init__(
        self,
        followers: FollowerStore,
        publisher: MessagePublisher,
        group_size: int,
        page_size: int = 1000,
        progress: FanoutProgress | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        max_skew: timedelta = DEFAULT_MAX_CLOCK_SKEW,
    ) -> None:
        self._followers = followers
        self._publisher = publisher
        self._group_size = group_size
        self._page_size = page_size
        self._progress = progress
        self._clock = clock
        self._max_skew = max_skew

    def distribute(self, event: Any) -> Distribution:
        """Publish the yubl of a ``yubl-posted`` event to all of its author's followers.

        Followers are streamed page by page and batches published as they fill, so an
        author with a million followers never sits in memory at once. After each batch
        the progress is saved; a retried event starts after the last published follower.
        """
        yubl = parse_yubl_posted(event, now=self._clock(), max_skew=self._max_skew)
        after = self._progress.last_published(yubl.yubl_id) if self._progress else None
        followers = messages = batches = 0
        last_of_message: deque[str] = deque()  # per message yielded, its last follower

        def pages() -> Iterator[list[str]]:
            nonlocal followers
            for page in self._followers.iter_pages(yubl.author_id, self._page_size, after):
                followers += len(page)
                yield page

        def group_messages() -> Iterator[str]:
            for group in follower_groups(pages(), self._group_size):
                for message, carried in encode_group_parts(yubl, group):
                    last_of_message.append(carried[-1])
                    yield message

        for batch in pack_batches(group_messages()):
            self._publisher.publish_batch(batch)
            batches += 1
            messages += len(batch)
            for _ in batch:
                last = last_of_message.popleft()
            if self._progress is not None:
                self._progress.record_published(yubl.yubl_id, last)
        return Distribution(
            yubl.yubl_id,
            followers=followers,
            messages=messages,
            batches=batches,
            resumed_after=after,
        )
