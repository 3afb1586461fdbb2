"""Mutes: a user no longer sees an author's posts in their feed, and still follows them.

Two places keep a muted author out: the fan-out leaves the user out of the author's
posts written after the mute, and reads drop the entries written before it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from .feed import FeedRef
from .paging import Page
from .validation import check_distinct_users

__all__ = ["check_mute", "not_muting", "without_muted"]


def check_mute(user_id: Any, author_id: Any) -> tuple[str, str]:
    """The (user, author) pair of a mute or unmute; one cannot mute oneself."""
    pair = ("user_id", user_id), ("author_id", author_id)
    return check_distinct_users(*pair, "a user cannot mute themselves")


def not_muting(followers: Sequence[str], muting: Collection[str]) -> list[str]:
    """The followers who do not mute the author, in their order."""
    return [f for f in followers if f not in muting] if muting else list(followers)


def without_muted(refs: Page[FeedRef], muted_authors: Collection[str]) -> Page[FeedRef]:
    """A page of feed references without the muted authors' posts, the cursor kept."""
    if not muted_authors:
        return refs
    kept = [r for r in refs.items if r.author_id not in muted_authors]
    return Page(items=kept, next_cursor=refs.next_cursor)
