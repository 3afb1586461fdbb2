"""The dispatcher's use case: one yubl to every follower, in groups, through SNS."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..domain.fanout import encode_group, follower_groups, pack_batches
from ..domain.posts import parse_yubl_posted
from .ports import FollowerStore, MessagePublisher

__all__ = ["Distribution", "DistributionService"]


@dataclass(frozen=True)
class Distribution:
    yubl_id: str
    followers: int
    messages: int
    batches: int


class DistributionService:
    def __init__(
        self,
        followers: FollowerStore,
        publisher: MessagePublisher,
        group_size: int,
        page_size: int = 1000,
    ) -> None:
        self._followers = followers
        self._publisher = publisher
        self._group_size = group_size
        self._page_size = page_size

    def distribute(self, event: Any) -> Distribution:
        """Publish the yubl of a ``yubl-posted`` event to all of its author's followers.

        Followers are streamed page by page and batches published as they fill, so an
        author with a million followers never sits in memory at once.
        """
        yubl = parse_yubl_posted(event)
        followers = messages = batches = 0

        def pages() -> Iterator[list[str]]:
            nonlocal followers
            for page in self._followers.iter_pages(yubl.author_id, self._page_size):
                followers += len(page)
                yield page

        def group_messages() -> Iterator[str]:
            nonlocal messages
            for group in follower_groups(pages(), self._group_size):
                for message in encode_group(yubl, group):
                    messages += 1
                    yield message

        for batch in pack_batches(group_messages()):
            self._publisher.publish_batch(batch)
            batches += 1
        return Distribution(yubl.yubl_id, followers=followers, messages=messages, batches=batches)
