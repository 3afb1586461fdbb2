"""Rebuilding the feed of a reader the fan-out has been skipping.

The work is bounded, whatever the reader follows: at most ``authors`` followed authors
(the first in id order, one page of the following index for the defaults), the newest
``posts_per_author`` live posts of each (one posts-table Query each), and of those the
newest ``entries`` are written (one BatchWriteItem per 25). Writes are the fan-out's own
entries, keyed (reader, yubl), so a rebuild that repeats, or meets entries written before
the reader went quiet, overwrites and never duplicates.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from ..domain.feed import FeedEntry
from ..domain.posts import Yubl
from .ports import FeedStore, FollowerStore, PostStore

__all__ = ["FeedRebuilder", "RebuildLimits", "newest_posts"]

FOLLOWING_PAGE = 1000
"""The largest page of the following index asked for at once."""


@dataclass(frozen=True)
class RebuildLimits:
    authors: int = 100  # FEED_REBUILD_MAX_AUTHORS
    posts_per_author: int = 20  # FEED_REBUILD_POSTS_PER_AUTHOR
    entries: int = 200  # FEED_REBUILD_MAX_ENTRIES


def newest_posts(by_author: Iterable[Iterable[Yubl]], limit: int) -> list[Yubl]:
    """The newest ``limit`` posts of all authors, newest first (yubl ids sort by time,
    as the feed does), each once."""
    unique = {y.yubl_id: y for posts in by_author for y in posts}
    return heapq.nlargest(limit, unique.values(), key=lambda y: y.yubl_id)


class FeedRebuilder:
    def __init__(
        self,
        follows: FollowerStore,
        posts: PostStore,
        feed: FeedStore,
        limits: RebuildLimits = RebuildLimits(),
    ) -> None:
        self._follows = follows
        self._posts = posts
        self._feed = feed
        self._limits = limits

    def rebuild(self, user_id: str) -> list[Yubl]:
        """Write the newest posts of the authors ``user_id`` follows into their feed;
        returns the posts written, newest first."""
        per_author = self._limits.posts_per_author
        newest = newest_posts(
            (self._posts.page(a, per_author, None).items for a in self._followed(user_id)),
            self._limits.entries,
        )
        if newest:
            self._feed.put_entries([FeedEntry(user_id, yubl) for yubl in newest])
        return newest

    def _followed(self, user_id: str) -> Iterator[str]:
        left, cursor = self._limits.authors, None
        while left > 0:
            page = self._follows.following(user_id, min(left, FOLLOWING_PAGE), cursor)
            yield from page.items[:left]
            left -= len(page.items)
            if page.next_cursor is None:
                return
            cursor = page.next_cursor
