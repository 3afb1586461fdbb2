"""Feed entries: one per (follower, yubl), so a replayed write overwrites.

An entry is stored as a reference (``FeedRef``): the yubl's key and its posting time,
never its text, so one entry is one write unit whatever the post's length. Reads
hydrate references from the posts table into ``FeedEntry`` values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .paging import Page
from .posts import Yubl

__all__ = ["FeedEntry", "FeedRef", "entries_for", "hydrate"]


@dataclass(frozen=True)
class FeedEntry:
    user_id: str  # the follower whose feed holds the entry
    yubl: Yubl


@dataclass(frozen=True)
class FeedRef:
    """What a feed stores: the reader, the yubl's key (author, id) and when it was posted."""

    user_id: str
    yubl_id: str
    author_id: str
    posted_at: str

    @classmethod
    def of(cls, entry: FeedEntry) -> FeedRef:
        yubl = entry.yubl
        return cls(entry.user_id, yubl.yubl_id, yubl.author_id, yubl.posted_at)


def entries_for(yubl: Yubl, followers: Iterable[str]) -> list[FeedEntry]:
    """One entry per distinct follower, in first-seen order."""
    return [FeedEntry(user_id=f, yubl=yubl) for f in dict.fromkeys(followers)]


def hydrate(refs: Page[FeedRef], posts: Mapping[str, Yubl]) -> Page[FeedEntry]:
    """A page of references as entries; a reference whose post is gone (deleted, or
    tombstoned before it was ever stored) is skipped, the cursor kept."""
    items = [FeedEntry(r.user_id, posts[r.yubl_id]) for r in refs.items if r.yubl_id in posts]
    return Page(items=items, next_cursor=refs.next_cursor)
