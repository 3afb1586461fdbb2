"""Deleting an account, after the DELETE: the ``user-deleted`` event's worker.

Two phases, resumable under the event id (``user-deleted:<user>``) in the fan-out progress
table, so a retry, a crash or a repeated event reaches the same end state:

1. **Posts.** Every post is tombstoned and its delete fanned out exactly as
   ``DELETE /users/{id}/yubls/{yubl}``'s event is (``delete_post``: feed-remove messages
   per group of followers, range workers for a large account, notifications, archive),
   in id order, the progress after each post.
2. **Everything else** (``account_erasure``), once ``delay`` has passed since phase 1
   ended, then the archive's record of the erasure and ``erased_at`` on the users row.

Why the wait: a follow or mute accepted just before the account was marked deleted (a
container's cached answer, a read that raced the mark), or a feed write that read the
post before its tombstone, is over within a request's or a worker's timeout; ``delay``
is longer (``ACCOUNT_ERASE_DELAY_SECONDS``), so phase 2's one pass finds all of them. The
worker does not sleep: it sends itself the message again, delayed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from ..domain.accounts import UserDeleted, parse_user_deleted_message, user_deleted_message
from ..domain.deletes import YublDeleted
from ..domain.errors import PermanentFailure
from ..domain.posts import DEFAULT_MAX_CLOCK_SKEW, iso_millis
from .account_erasure import AccountErasure, AccountStores, OutOfTime
from .accounts import UserStore
from .exports import WorkQueue
from .ports import FanoutProgress

__all__ = ["AccountDeletion", "AuthoredPosts", "DeletionRun"]

ERASED, WAITING, OUT_OF_TIME, ALREADY_ERASED = "erased", "waiting", "out of time", "already erased"
POSTS_KEY = "account#posts"  # progress: the last post whose delete was fanned out
POSTS_DONE_AT_KEY = "account#posts-done-at"  # when phase 1 ended (ISO time)
DONE = "~"  # sorts after every id: the progress table's never-backwards rule holds
PAGE = 100


class AuthoredPosts(Protocol):
    def after(self, author_id: str, after: str | None, limit: int) -> list[tuple[str, str | None]]:
        """(yubl id, deleted_at or None) of the author's posts with ids after ``after``,
        ascending, tombstones included; at most ``limit``."""
        ...


@dataclass(frozen=True)
class DeletionRun:
    user_id: str
    event_id: str
    outcome: str  # erased, waiting, out of time, already erased
    posts: int = 0  # post deletes fanned out by this run
    removed: dict[str, int] = field(default_factory=dict)  # phase 2's counts
    wait_seconds: int = 0


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
        self._erasure = AccountErasure(stores, progress, sweep_from)
        self._clock = clock
        self._max_skew = max_skew

    def run(self, message: Any, out_of_time: OutOfTime = _never) -> DeletionRun:
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
        removed = self._erasure.erase(deleted, out_of_time)
        if removed is None:
            return DeletionRun(user, event_id, OUT_OF_TIME, posts)
        erased_at = iso_millis(self._clock())
        self._stores.archive.record(deleted, erased_at, removed)
        self._users.mark_erased(user, erased_at)
        return DeletionRun(user, event_id, ERASED, posts, removed)

    # -- phase 1 -------------------------------------------------------------------

    def _delete_posts(self, deleted: UserDeleted, out_of_time: OutOfTime) -> tuple[int, bool]:
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
