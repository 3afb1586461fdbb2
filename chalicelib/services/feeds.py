"""Reading a feed, and writing a yubl into many feeds.

A group message's worker makes its writes and what truly depends on each follower (the
inactive followers' lookup, 100 a call, one lookup ahead of the writes), then one
strongly consistent read of the post's tombstone. Everything else about the post was
decided where it was planned (``services/distribution.py``): its muters are not in the
message. The tombstone is read after the writes, not before: a delete's removal messages
are published only after its tombstone is written, so either this read sees the
tombstone (and withdraws the entries just written) or the removal comes after these
writes and deletes them, in whatever order the feed-remove and feed-fanout messages
arrive.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from ..domain.fanout import FollowerGroupMessage, parse_group_message
from ..domain.feed import FeedEntry, FeedRef, entries_for, hydrate
from ..domain.feed_cap import FeedCap
from ..domain.paging import Page
from ..domain.posts import DEFAULT_MAX_CLOCK_SKEW, Yubl
from ..domain.validation import check_user_id
from .feed_cap import read_capped
from .lookahead import OneAhead
from .mutes import MuteStore, followers_not_muting, unmuted
from .ports import FeedStore, PostStore

__all__ = [
    "LOOKUP_CHUNK",
    "WRITE_CHUNK",
    "FeedReader",
    "FeedService",
    "FeedWrite",
    "in_chunks",
    "read_entries",
]

FeedReader = Callable[[Any, int, str | None], Page[FeedEntry]]
"""A whole feed read (the merged read of hybrid fan-out) that replaces the plain one."""

T = TypeVar("T")

WRITE_CHUNK = 25
"""Entries per store call: one BatchWriteItem, so the time budget is checked between calls."""

LOOKUP_CHUNK = 100
"""Followers per inactive-follower lookup: one BatchGetItem (100 keys a call). Lookups run
one chunk ahead of the writes (``services/lookahead.py``)."""


def _never() -> bool:
    return False


def in_chunks(
    items: Sequence[T], apply: Callable[[Sequence[T]], None], out_of_time: Callable[[], bool]
) -> int:
    """``apply`` to ``WRITE_CHUNK`` items at a time, asking ``out_of_time`` before each
    call; how many items were applied (all of them, unless time ran out)."""
    done = 0
    while done < len(items):
        if out_of_time():
            return done
        chunk = items[done : done + WRITE_CHUNK]
        apply(chunk)
        done += len(chunk)
    return done


@dataclass(frozen=True)
class FeedWrite:
    yubl_id: str
    posted_at: str
    entries: int  # entries written by this call (and kept)
    followers: tuple[str, ...] = ()  # whose feeds they went to, in order
    rest: FollowerGroupMessage | None = None  # the followers left unwritten when time ran out
    muted: int = 0  # followers left out by this worker (version 1 messages): they mute the author
    skipped: int = 0  # followers not written to: inactive (services/activity.py)
    arrived_at: str | None = None  # the post's arrival on the stream, when the message says
    withdrawn: int = 0  # entries written, then removed: the post was deleted meanwhile


@dataclass(frozen=True)
class _Written:
    followers: list[str]
    skipped: int
    left: list[str]  # not written when time ran out


class FeedService:
    def __init__(
        self,
        store: FeedStore,
        posts: PostStore,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        max_skew: timedelta = DEFAULT_MAX_CLOCK_SKEW,
        mutes: MuteStore | None = None,
        cap: FeedCap | None = None,
        active: Callable[[Sequence[str]], list[str]] | None = None,
        reader: FeedReader | None = None,
    ) -> None:
        self._store = store
        self._reader = reader  # the merged read of hybrid fan-out (services/celebrities.py)
        self._posts = posts
        self._clock = clock
        self._max_skew = max_skew
        self._mutes = mutes
        self._cap = cap
        self._active = active  # which followers to write to; None: all of them

    def read(self, user_id: Any, limit: int, cursor: str | None) -> Page[FeedEntry]:
        """One page of the feed, its references hydrated from the posts table (merged with
        followed celebrities' posts by ``reader``); muted authors left out, nothing past
        the cap shown (``cap`` None: a reader that merges past the stored entries)."""
        user = check_user_id("user_id", user_id)
        read = self._reader if self._reader is not None else self._read
        if self._cap is None:
            return read(user, limit, cursor)
        return read_capped(self._cap, read, user, limit, cursor)

    def _read(self, user_id: str, limit: int, cursor: str | None) -> Page[FeedEntry]:
        return read_entries(self._store, self._posts, user_id, limit, cursor, self._unmuted)

    def _unmuted(self, user_id: str, refs: Page[FeedRef]) -> Page[FeedRef]:
        return refs if self._mutes is None else unmuted(self._mutes, user_id, refs)

    def add_group(self, message: Any, out_of_time: Callable[[], bool] = _never) -> FeedWrite:
        """Write a feed-fanout message's yubl into each follower's feed.

        The whole message is validated before the first write. A version 1 message (from
        before the plan left muters out) is filtered here, with one Query of the mutes.
        Before each chunk of writes ``out_of_time`` is asked; once it says yes, the
        followers not yet written come back as ``rest``, a smaller message of the same
        shape. After the writes, one read of the tombstone: a post deleted meanwhile has
        the entries just written removed again (``withdrawn``).
        """
        group = parse_group_message(message, now=self._clock(), max_skew=self._max_skew)
        yubl, followers = group.yubl, list(dict.fromkeys(group.followers))
        muted = 0
        if not group.muters_excluded and self._mutes is not None:
            unmuting = followers_not_muting(self._mutes, yubl.author_id, followers)
            muted, followers = len(followers) - len(unmuting), unmuting
        done = self._write(yubl, followers, out_of_time)
        result = FeedWrite(
            yubl_id=yubl.yubl_id,
            posted_at=yubl.posted_at,
            entries=len(done.followers),
            followers=tuple(done.followers),
            rest=group.rest(done.left) if done.left else None,
            muted=muted,
            skipped=done.skipped,
            arrived_at=group.arrived_at,
        )
        if done.followers and self._posts.is_deleted(yubl.author_id, yubl.yubl_id):
            # deleted since it was planned: its removal may have run before these writes
            self._store.remove_entries([(f, yubl.yubl_id) for f in done.followers])
            return replace(result, entries=0, followers=(), rest=None, withdrawn=result.entries)
        return result

    def _write(self, yubl: Yubl, followers: list[str], out_of_time: Callable[[], bool]) -> _Written:
        """The active followers' entries, 25 a write; ``out_of_time`` is asked before each
        write. Followers are looked up 100 at a time, one lookup ahead of the writes
        (``OneAhead``): the first entry is written after one lookup, and the next lookup
        is in flight while the entries already looked up are written."""
        if self._active is None:
            lookup: Callable[[list[str]], list[str]] = list
            chunks = [followers]
        else:
            lookup, step = self._active, LOOKUP_CHUNK
            chunks = [followers[i : i + step] for i in range(0, len(followers), step)]
        written: list[str] = []
        pending: list[str] = []  # looked up, active, not written yet
        looked = skipped = 0  # followers whose lookup has been taken
        with OneAhead(lookup, chunks) as lookups:
            while pending or lookups.more():
                if len(pending) < WRITE_CHUNK and lookups.more():
                    chunk, active = lookups.take()
                    looked += len(chunk)
                    skipped += len(chunk) - len(active)
                    pending += active
                    continue
                if out_of_time():  # the lookup in flight is not taken: its chunk is left too
                    return _Written(written, skipped, pending + followers[looked:])
                batch, pending = pending[:WRITE_CHUNK], pending[WRITE_CHUNK:]
                self._store.put_entries(entries_for(yubl, batch))
                written += batch
        return _Written(written, skipped, [])


def read_entries(
    store: FeedStore,
    posts: PostStore,
    user_id: str,
    limit: int,
    cursor: str | None,
    keep: Callable[[str, Page[FeedRef]], Page[FeedRef]] | None = None,
) -> Page[FeedEntry]:
    """A page of references from ``store`` (those ``keep`` keeps), hydrated; deleted posts
    are skipped."""
    refs = store.page(user_id, limit, cursor)
    if keep is not None:
        refs = keep(user_id, refs)
    return hydrate(refs, posts.live([(r.author_id, r.yubl_id) for r in refs.items]))
