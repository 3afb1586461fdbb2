"""Feed entries: one per (follower, yubl), so a replayed write overwrites."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .posts import Yubl

__all__ = ["FeedEntry", "entries_for"]


@dataclass(frozen=True)
class FeedEntry:
    user_id: str  # the follower whose feed holds the entry
    yubl: Yubl


def entries_for(yubl: Yubl, followers: Iterable[str]) -> list[FeedEntry]:
    """One entry per distinct follower, in first-seen order."""
    return [FeedEntry(user_id=f, yubl=yubl) for f in dict.fromkeys(followers)]
