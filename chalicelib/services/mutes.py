"""Muting authors: the mutes API, and the filters the feed's writes and reads apply."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from ..domain.feed import FeedRef
from ..domain.mutes import check_mute, not_muting, without_muted
from ..domain.paging import Page
from ..domain.validation import check_user_id
from .accounts import UserStore, require_active

__all__ = ["MuteService", "MuteStore", "followers_not_muting", "unmuted"]


class MuteStore(Protocol):
    """Who mutes whom, keyed by (user, author)."""

    def add(self, user_id: str, author_id: str) -> None: ...

    def remove(self, user_id: str, author_id: str) -> None: ...

    def page(self, user_id: str, limit: int, cursor: str | None) -> Page[str]:
        """One page of the authors ``user_id`` mutes, in id order; raises InvalidInput for a
        bad cursor."""
        ...

    def muted_authors(self, user_id: str, authors: Sequence[str]) -> set[str]:
        """Those of ``authors`` that ``user_id`` mutes (one lookup for them all)."""
        ...

    def muting(self, author_id: str, first: str, last: str) -> set[str]:
        """The users with ids from ``first`` to ``last`` who mute ``author_id`` (one query:
        a page of followers is a range of ids, and few of them mute anyone)."""
        ...


class MuteService:
    def __init__(self, store: MuteStore, accounts: UserStore | None = None) -> None:
        self._store = store
        self._accounts = accounts  # None: every valid id is a user (tests without a table)

    def mute(self, user_id: Any, author_id: Any) -> None:
        """Both users must have an active account (``NotFound`` naming the field)."""
        user, author = check_mute(user_id, author_id)
        if self._accounts is not None:
            require_active(self._accounts, {"author_id": author, "user_id": user})
        self._store.add(user, author)

    def unmute(self, user_id: Any, author_id: Any) -> None:
        self._store.remove(*check_mute(user_id, author_id))

    def muted(self, user_id: Any, limit: int, cursor: str | None) -> Page[str]:
        """The authors a user mutes, in id order."""
        return self._store.page(check_user_id("user_id", user_id), limit, cursor)


def followers_not_muting(store: MuteStore, author_id: str, followers: Sequence[str]) -> list[str]:
    """The followers a post of ``author_id`` goes to: those who do not mute the author."""
    if not followers:
        return []
    return not_muting(followers, store.muting(author_id, min(followers), max(followers)))


def unmuted(store: MuteStore, user_id: str, refs: Page[FeedRef]) -> Page[FeedRef]:
    """A page of ``user_id``'s feed without the authors they mute (entries written before
    the mute): one lookup of the page's distinct authors."""
    authors = list(dict.fromkeys(r.author_id for r in refs.items))
    if not authors:
        return refs
    return without_muted(refs, store.muted_authors(user_id, authors))
