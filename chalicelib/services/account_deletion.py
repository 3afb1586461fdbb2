"""Deleting an account, after the DELETE: the ``user-deleted`` event's worker.

Two phases, resumable under the event id (``user-deleted:<user>``) in the fan-out progress
table, so a retry, a crash or a repeated event reaches the same end state:

1. **Posts.** Every post is tombstoned and its delete fanned out exactly as
   ``DELETE /users/{id}/yubls/{yubl}``'s event is (``delete_post``: feed-remove messages
   per group of followers, range workers for a large account, notifications, archive),
   in id order, the progress after each post.
2. **Everything else**, once ``delay`` has passed since phase 1 ended: relationships both
   ways (each follower count corrected by the conditional unfollow), mutes both ways, the
   user's own feed and notifications, activity, exports, archive lines, the follower-count
   row, then the archive's record of the erasure and ``erased_at`` on the users row.

Why the wait: a follow or mute accepted just before the account was marked deleted (a
container's cached answer, a read that raced the mark), or a feed write that read the
post before its tombstone, is over within a request's or a worker's timeout; ``delay``
is longer (``ACCOUNT_ERASE_DELAY_SECONDS``), so phase 2's one pass finds all of them. The
worker does not sleep: it sends itself the message again, delayed.

An account with a range's worth of followers has its deletes fanned out by range workers,
which read the relationships when they run; for it, phase 2 also clears each follower's
feed of the user's entries before that relationship goes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from ..domain.accounts import UserDeleted, parse_user_deleted_message, user_deleted_message
from ..domain.deletes import YublDeleted
from ..domain.errors import PermanentFailure
from ..domain.paging import Page
from ..domain.posts import DEFAULT_MAX_CLOCK_SKEW, iso_millis
from .accounts import UserStore
from .archive_erasure import ArchiveEraser
from .exports import ExportStore, WorkQueue
from .mutes import MuteStore
from .ports import AuthorIndex, FanoutProgress, FeedStore, FollowerStore

__all__ = [
    "AccountDeletion",
    "AccountStores",
    "AuthoredPosts",
    "DeletionRun",
    "UserRows",
]

ERASED, WAITING, OUT_OF_TIME, ALREADY_ERASED = "erased", "waiting", "out of time", "already erased"
POSTS_KEY = "account#posts"  # progress: the last post whose delete was fanned out
POSTS_DONE_AT_KEY = "account#posts-done-at"  # when phase 1 ended (ISO time)
SWEEP_KEY = "account#sweep-feeds"  # "1": clear followers' feeds in phase 2 (range workers)
DONE = "~"  # sorts after every id: the progress table's never-backwards rule holds
PAGE = 100
ALL_USERS = ("-", "~")  # every user id ([A-Za-z0-9_-]) sorts between these


class AuthoredPosts(Protocol):
    def after(self, author_id: str, after: str | None, limit: int) -> list[tuple[str, str | None]]:
        """(yubl id, deleted_at or None) of the author's posts with ids after ``after``,
        ascending, tombstones included; at most ``limit``."""
        ...


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


@dataclass(frozen=True)
class DeletionRun:
    user_id: str
    event_id: str
    outcome: str  # erased, waiting, out of time, already erased
    posts: int = 0  # post deletes fanned out by this run
    removed: dict[str, int] = field(default_factory=dict)  # phase 2's counts
    wait_seconds: int = 0


Never = Callable[[], bool]


def _never() -> bool:
    return False


class AccountDeletion:
    def __init__(
        self,
        users: UserStore,
        posts: AuthoredPosts,
        delete_post: Callable[[YublDeleted], object],
        stores: AccountStores,
        progress: FanoutProgress,
        later: WorkQueue,
        *,
        delay: timedelta,
        sweep_from: int,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        max_skew: timedelta = DEFAULT_MAX_CLOCK_SKEW,
    ) -> None:
        self._users = users
        self._posts = posts
        self._delete_post = delete_post
        self._stores = stores
        self._progress = progress
        self._later = later
        self._delay = delay
        self._sweep_from = sweep_from
        self._clock = clock
        self._max_skew = max_skew

    def run(self, message: Any, out_of_time: Never = _never) -> DeletionRun:
        """Validate the message whole, then go on from where the last run stopped."""
        deleted = parse_user_deleted_message(message, now=self._clock(), max_skew=self._max_skew)
        user, event_id = deleted.user_id, deleted.event_id
        account = self._users.get(user)
        if account is None or account.active or account.deleted_at is None:
            raise PermanentFailure(f"{event_id}: the account of {user} is not marked deleted")
        if account.erased_at is not None:
            return DeletionRun(user, event_id, ALREADY_ERASED)
        deleted = UserDeleted(user, account.deleted_at)  # the row's time, whatever was sent
        posts, finished = self._delete_posts(deleted, out_of_time)
        if not finished:
            return DeletionRun(user, event_id, OUT_OF_TIME, posts)
        wait = self._wait_seconds(event_id)
        if wait > 0:
            self._later.send(user_deleted_message(deleted), delay_seconds=wait, same_hop=True)
            return DeletionRun(user, event_id, WAITING, posts, wait_seconds=wait)
        removed = self._erase(deleted, out_of_time)
        if removed is None:
            return DeletionRun(user, event_id, OUT_OF_TIME, posts)
        erased_at = iso_millis(self._clock())
        self._stores.archive.record(deleted, erased_at, removed)
        self._users.mark_erased(user, erased_at)
        return DeletionRun(user, event_id, ERASED, posts, removed)

    # -- phase 1 -------------------------------------------------------------------

    def _delete_posts(self, deleted: UserDeleted, out_of_time: Never) -> tuple[int, bool]:
        """Each post not deleted before (or deleted by an earlier run of this deletion)
        through the delete fan-out, in id order; (fanned out, finished)."""
        event_id, progress = deleted.event_id, self._progress
        after = progress.last_published(event_id, POSTS_KEY)
        fanned = 0
        while after != DONE:
            page = self._posts.after(deleted.user_id, after, PAGE)
            for yubl_id, deleted_at in page:
                if out_of_time():
                    return fanned, False
                if deleted_at is None or deleted_at == deleted.deleted_at:
                    self._delete_post(YublDeleted(yubl_id, deleted.user_id, deleted.deleted_at))
                    fanned += 1
                progress.record_published(event_id, POSTS_KEY, yubl_id)
            after = page[-1][0] if len(page) == PAGE else DONE
        progress.record_published(event_id, POSTS_KEY, DONE)
        if progress.last_published(event_id, POSTS_DONE_AT_KEY) is None:
            progress.record_published(event_id, POSTS_DONE_AT_KEY, iso_millis(self._clock()))
        return fanned, True

    def _wait_seconds(self, event_id: str) -> int:
        done_at = self._progress.last_published(event_id, POSTS_DONE_AT_KEY)
        assert done_at is not None  # recorded when phase 1 finished
        ready = datetime.fromisoformat(done_at.replace("Z", "+00:00")) + self._delay
        return max(0, math.ceil((ready - self._clock()).total_seconds()))

    # -- phase 2 -------------------------------------------------------------------

    def _erase(self, deleted: UserDeleted, out_of_time: Never) -> dict[str, int] | None:
        """Phase 2, every step idempotent; None if time ran out (the next run repeats it,
        finding what is already gone gone)."""
        user, stores = deleted.user_id, self._stores
        removed: dict[str, int] = {}
        steps: list[tuple[str, Callable[[], Iterator[int]]]] = [
            ("followers", lambda: self._followers(deleted, removed)),
            ("following", lambda: self._each(stores.followers.following, user, self._unfollow)),
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

    def _unfollow(self, user: str, followed: str) -> None:
        self._stores.followers.remove(followed, user)  # the followed user's count, -1

    def _mutes(self, user: str) -> Iterator[int]:
        cursor: str | None = None
        while True:
            page = self._stores.mutes.page(user, PAGE, cursor)
            self._stores.mute_rows.delete_keys([(user, author) for author in page.items])
            yield len(page.items)
            cursor = page.next_cursor
            if cursor is None:
                return

    @staticmethod
    def _each(
        read: Callable[[str, int, str | None], Page[str]],
        user: str,
        remove: Callable[[str, str], None],
    ) -> Iterator[int]:
        """One pass over the user's pages (through an index that may lag a write by
        moments: the wait before phase 2 covers that)."""
        cursor: str | None = None
        while True:
            page = read(user, PAGE, cursor)
            for other in page.items:
                remove(user, other)
            yield len(page.items)
            cursor = page.next_cursor
            if cursor is None:
                return

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
