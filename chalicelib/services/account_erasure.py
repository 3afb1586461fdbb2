"""A deletion's second phase: everything of the account but its posts, removed.

Every step removes what is there and finds what is already gone gone, so a run that was
stopped (out of time, a crash) is repeated whole by the next one, each finished step
costing one empty read. Relationships go both ways: the followers' rows by key, 25 a
call (their count goes with the account), the follows through the counting unfollow
(each followed user's count, exactly -1); then mutes both ways, the account's own feed
and notifications, its activity row, exports, archive lines and follower-count row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from ..domain.accounts import UserDeleted
from ..domain.paging import Page
from .archive_erasure import ArchiveEraser
from .exports import ExportStore
from .mutes import MuteStore
from .ports import AuthorIndex, FanoutProgress, FeedStore, FollowerStore

__all__ = ["AccountErasure", "AccountStores", "KeyRows", "OutOfTime", "UserRows"]

PAGE = 100
SWEEP_KEY = "account#sweep-feeds"  # "1": clear followers' feeds (range workers were used)
ALL_USERS = ("-", "~")  # every user id ([A-Za-z0-9_-]) sorts between these

OutOfTime = Callable[[], bool]
PageRead = Callable[[str, int, str | None], Page[str]]


class UserRows(Protocol):
    """A table of one row per user (activity, the follower counts)."""

    def delete(self, user_id: str) -> None: ...


class KeyRows(Protocol):
    """Rows of a two-key table (relationships, mutes) deleted by key, in batches."""

    def delete_keys(self, keys: Sequence[tuple[str, str]]) -> None: ...


@dataclass(frozen=True)
class AccountStores:
    """What phase 2 removes from, one port each."""

    followers: FollowerStore  # counting: an unfollow that took effect corrects the count
    authors: AuthorIndex
    feeds: FeedStore
    notifications: FeedStore
    mutes: MuteStore
    relationship_rows: KeyRows  # (user, follower): their followers', their count goes too
    mute_rows: KeyRows  # (user, author)
    activity: UserRows
    author_rows: UserRows
    exports: ExportStore
    archive: ArchiveEraser


def _pages(read: PageRead, user: str) -> Iterator[list[str]]:
    """One pass over a user's pages (through an index, a write may lag by moments: the
    wait before this phase covers that)."""
    cursor: str | None = None
    while True:
        page = read(user, PAGE, cursor)
        yield page.items
        cursor = page.next_cursor
        if cursor is None:
            return


class AccountErasure:
    def __init__(self, stores: AccountStores, progress: FanoutProgress, sweep_from: int):
        self._stores = stores
        self._progress = progress
        self._sweep_from = sweep_from

    def erase(self, deleted: UserDeleted, out_of_time: OutOfTime) -> dict[str, int] | None:
        """The counts removed per step; None if time ran out (the next run repeats it)."""
        user, stores = deleted.user_id, self._stores
        removed: dict[str, int] = {}
        steps: list[tuple[str, Callable[[], Iterator[int]]]] = [
            ("followers", lambda: self._followers(deleted, removed)),
            ("following", lambda: self._following(user)),
            ("mutes", lambda: self._mutes(user)),
            ("muted_by", lambda: self._muted_by(user)),
            ("feed_entries", lambda: self._entries(stores.feeds, user)),
            ("notifications", lambda: self._entries(stores.notifications, user)),
        ]
        for name, step in steps:
            removed.setdefault(name, 0)
            for count in step():
                removed[name] += count
                if out_of_time():
                    return None
        stores.activity.delete(user)
        removed["exports"] = stores.exports.delete_all(user)
        removed["archive_objects"] = stores.archive.erase(user)
        stores.author_rows.delete(user)
        return removed

    def _sweeps_feeds(self, deleted: UserDeleted) -> bool:
        """Decided once, before any relationship goes: was the account large enough for
        range workers? Kept in the progress, so a resumed run decides the same."""
        decided = self._progress.last_published(deleted.event_id, SWEEP_KEY)
        if decided is None:
            large = self._stores.authors.follower_count(deleted.user_id) >= self._sweep_from
            decided = "1" if large else "0"
            self._progress.record_published(deleted.event_id, SWEEP_KEY, decided)
        return decided == "1"

    def _followers(self, deleted: UserDeleted, removed: dict[str, int]) -> Iterator[int]:
        """Range workers read the relationships when they run: a late one would find
        nobody, so each follower's feed is cleared of the account before its row goes."""
        user, stores = deleted.user_id, self._stores
        sweep = self._sweeps_feeds(deleted)
        for page in stores.followers.iter_pages(user, PAGE):
            if sweep:
                for follower in page:
                    refs = stores.feeds.refs_by_author(follower, user)
                    stores.feeds.remove_entries([(r.user_id, r.yubl_id) for r in refs])
                    removed["swept_entries"] = removed.get("swept_entries", 0) + len(refs)
            stores.relationship_rows.delete_keys([(user, follower) for follower in page])
            yield len(page)

    def _following(self, user: str) -> Iterator[int]:
        for followed in _pages(self._stores.followers.following, user):
            for other in followed:
                self._stores.followers.remove(other, user)  # their count, -1
            yield len(followed)

    def _mutes(self, user: str) -> Iterator[int]:
        for authors in _pages(self._stores.mutes.page, user):
            self._stores.mute_rows.delete_keys([(user, author) for author in authors])
            yield len(authors)

    def _muted_by(self, user: str) -> Iterator[int]:
        muting = sorted(self._stores.mutes.muting(user, *ALL_USERS))
        for start in range(0, len(muting), PAGE):
            chunk = muting[start : start + PAGE]
            self._stores.mute_rows.delete_keys([(muter, user) for muter in chunk])
            yield len(chunk)

    @staticmethod
    def _entries(store: FeedStore, user: str) -> Iterator[int]:
        while True:
            page = store.page(user, PAGE, None)
            store.remove_entries([(ref.user_id, ref.yubl_id) for ref in page.items])
            yield len(page.items)
            if page.next_cursor is None:
                return
