"""In-memory twins of the hybrid fan-out's ports, over the twins of the tables they share
(the follower count is the follower set's size, pulled posts live in the posts twin)."""

from __future__ import annotations

from ..domain.feed import FeedRef
from ..domain.feed_merge import SourcePage
from ..domain.posts import Yubl
from .memory import InMemoryFeedStore, InMemoryFollowerStore, InMemoryPostStore

__all__ = [
    "InMemoryAuthorIndex",
    "InMemoryAuthorPosts",
    "InMemoryFeedSource",
    "InMemoryPulledPosts",
]


def _newest_before(keys: list[str], limit: int, before: str | None) -> tuple[list[str], bool]:
    older = sorted((k for k in keys if before is None or k < before), reverse=True)
    return older[:limit], len(older) > limit


class InMemoryAuthorIndex:
    def __init__(self, followers: InMemoryFollowerStore) -> None:
        self._followers = followers
        self.marked: set[str] = set()

    def follower_count(self, author_id: str) -> int:
        return len(self._followers.followers.get(author_id, ()))

    def mark_pulling(self, author_id: str) -> None:
        self.marked.add(author_id)

    def pulling(self) -> set[str]:
        return set(self.marked)


class InMemoryPulledPosts:
    def __init__(self, posts: InMemoryPostStore) -> None:
        self._posts = posts
        self.flagged: set[tuple[str, str]] = set()
        self.pages_read = 0

    def mark(self, author_id: str, yubl_id: str) -> None:
        self.flagged.add((author_id, yubl_id))

    def is_pulled(self, author_id: str, yubl_id: str) -> bool:
        return (author_id, yubl_id) in self.flagged

    def before(self, author_id: str, limit: int, before: str | None) -> SourcePage[Yubl]:
        self.pages_read += 1
        live = [y for (a, y) in self.flagged if a == author_id and (a, y) in self._posts.posts]
        keys, more = _newest_before(live, limit, before)
        return SourcePage([self._posts.posts[(author_id, k)] for k in keys], more)


class InMemoryFeedSource:
    def __init__(self, feed: InMemoryFeedStore) -> None:
        self._feed = feed

    def refs_before(self, user_id: str, limit: int, before: str | None) -> SourcePage[FeedRef]:
        mine = {y: FeedRef.of(e) for (u, y), e in self._feed.entries.items() if u == user_id}
        keys, more = _newest_before(list(mine), limit, before)
        return SourcePage([mine[k] for k in keys], more)


class InMemoryAuthorPosts:
    def __init__(self, posts: InMemoryPostStore) -> None:
        self._posts = posts
        self.pages_read = 0

    def before(self, author_id: str, limit: int, before: str | None) -> SourcePage[Yubl]:
        self.pages_read += 1
        mine = [y for (a, y) in self._posts.posts if a == author_id]
        keys, more = _newest_before(mine, limit, before)
        return SourcePage([self._posts.posts[(author_id, k)] for k in keys], more)
