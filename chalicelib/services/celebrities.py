"""Hybrid fan-out: a celebrity's posts are pulled into feeds at read time, not pushed.

Write side (``CelebrityPolicy``): the dispatcher asks, per stored post, whether it is
pulled. The answer is decided once per post and kept on the post itself, so a retry
never flips it, and a post pulled while its author was a celebrity stays pulled (and
merged into feeds) after the author drops below the threshold; a post fanned out stays
in the feeds. Nothing is lost crossing the threshold either way.

Read side (``MergedFeedReader``): one feed page is the merge of the reader's stored
references and the pulled posts of every author they follow who has any; past the end
of a feed that a trim cut short, the followed authors' older posts (``PastEnd``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, partial
from typing import Any

from ..domain.feed import FeedEntry, FeedRef
from ..domain.feed_merge import SourcePage, merge_newest_first
from ..domain.paging import Page
from ..domain.posts import Yubl
from ..domain.validation import check_user_id
from .ports import (
    AuthorIndex,
    AuthorPosts,
    FeedSource,
    FollowerStore,
    PostStore,
    PulledPosts,
    TrimMarks,
)

__all__ = [
    "DEFAULT_THRESHOLD",
    "FEED_GROUP",
    "CelebrityPolicy",
    "MergedFeedReader",
    "PastEnd",
    "RefFilter",
]

DEFAULT_THRESHOLD = 10_000
"""Followers above which an author's posts are pulled (``FANOUT_CELEBRITY_THRESHOLD``)."""

FEED_GROUP = "feed"
"""The subscriber group whose follower fan-out a pulled post skips; the others get it."""

RefFilter = Callable[[str, Sequence[FeedRef]], list[FeedRef]]
"""Which of a page's references the reader sees: the hook for mutes."""


@dataclass(frozen=True)
class PastEnd:
    """Reads past the end of a stored feed that a trim cut short (``marks``) go on with
    the followed authors' older posts (``posts``). Only a cut feed: any other feed holds
    everything fanned out to it, and its last page, often its only one, then costs one
    GetItem instead of a Query per followed author."""

    posts: AuthorPosts
    marks: TrimMarks


def _all_visible(user_id: str, refs: Sequence[FeedRef]) -> list[FeedRef]:
    return list(refs)


class CelebrityPolicy:
    """Decides, once per post, whether its follower fan-out is skipped."""

    def __init__(self, authors: AuthorIndex, pulled: PulledPosts, threshold: int) -> None:
        self._authors = authors
        self._pulled = pulled
        self._threshold = threshold

    def pulls(self, yubl: Yubl, first: bool = False, at_most: int | None = None) -> bool:
        """True if the post is read into feeds at read time (its fan-out skipped).

        An earlier attempt's decision to pull stands (``first``: this attempt stored the
        post, so there was none to look up); otherwise an author with more than
        ``threshold`` followers now gets the post pulled: the author is marked first
        (readers look for pulled posts only of marked authors), then the post. On a
        first attempt, ``at_most`` (the author's followers, as a read of them just found
        them) within the threshold decides without the count.
        """
        if first and at_most is not None and at_most <= self._threshold:
            return False
        if not first and self._pulled.is_pulled(yubl.author_id, yubl.yubl_id):
            return True
        if self._authors.follower_count(yubl.author_id) <= self._threshold:
            return False
        self._authors.mark_pulling(yubl.author_id)
        self._pulled.mark(yubl.author_id, yubl.yubl_id)
        return True


class MergedFeedReader:
    """``GET /users/{id}/feed``: stored references merged with pulled posts.

    The cursor is the feed's own cursor format (the last yubl id returned), so cursors
    issued before the merge existed keep working. ``visible`` is where mutes filter the
    merged references; deleted posts drop out at hydration, as on the plain read (one
    consistent BatchGetItem of the page's posts, pulled ones included).
    With ``past_end``, a read past the oldest entry of a feed cut to the cap goes on with
    the followed authors' older posts, one more source each: a capped feed never just
    ends while they have older posts. That costs a Query per followed author on those
    pages (the stored feed's last page and beyond).
    """

    def __init__(
        self,
        feed: FeedSource,
        posts: PostStore,
        following: FollowerStore,
        authors: AuthorIndex,
        pulled: PulledPosts,
        *,
        encode_cursor: Callable[[str], str],
        decode_cursor: Callable[[str | None], str | None],
        visible: RefFilter = _all_visible,
        following_page: int = 1000,
        past_end: PastEnd | None = None,
    ) -> None:
        self._feed = feed
        self._posts = posts
        self._following = following
        self._authors = authors
        self._pulled = pulled
        self._encode = encode_cursor
        self._decode = decode_cursor
        self._visible = visible
        self._following_page = following_page
        self._past_end = past_end

    def read(self, user_id: Any, limit: int, cursor: str | None) -> Page[FeedEntry]:
        user = check_user_id("user_id", user_id)
        before = self._decode(cursor)
        feed = self._feed.refs_before(user, limit, before)
        followed = cache(partial(self._followed, user))  # read at most once per page
        posts = [
            self._pulled.before(author, limit, before)
            for author in sorted(self._celebrities(followed))
        ]
        past_end = self._past_end
        if past_end is not None and not feed.more and past_end.marks.was_trimmed(user):
            # the stored feed ends on this page, at the cap: the followed authors' posts
            # older than its oldest entry carry on from there
            edge = feed.items[-1].yubl_id if feed.items else before
            posts += [past_end.posts.before(a, limit, edge) for a in sorted(followed())]
        sources = [
            feed,
            *(SourcePage([_ref(user, y) for y in page.items], page.more) for page in posts),
        ]
        merged = merge_newest_first(sources, limit, key=lambda ref: ref.yubl_id)
        shown = self._visible(user, merged.items)  # HOOK (mutes): filters the merged refs
        # every shown post is read from the posts table, pulled ones too: the pulled index
        # is eventually consistent, and a post deleted a moment ago must not show
        live = self._posts.live([(r.author_id, r.yubl_id) for r in shown]) if shown else {}
        items = [FeedEntry(user, live[r.yubl_id]) for r in shown if r.yubl_id in live]
        next_cursor = None if merged.before is None else self._encode(merged.before)
        return Page(items=items, next_cursor=next_cursor)

    def followed_celebrities(self, user_id: str) -> set[str]:
        """The authors ``user_id`` follows who have pulled posts."""
        return self._celebrities(partial(self._followed, user_id))

    def _celebrities(self, followed: Callable[[], set[str]]) -> set[str]:
        """No follow list is read while no author at all has pulled posts."""
        pulling = self._authors.pulling()
        return pulling & followed() if pulling else set()

    def _followed(self, user_id: str) -> set[str]:
        followed: set[str] = set()
        cursor: str | None = None
        while True:
            page = self._following.following(user_id, self._following_page, cursor)
            followed.update(page.items)
            if page.next_cursor is None:
                return followed
            cursor = page.next_cursor


def _ref(user_id: str, yubl: Yubl) -> FeedRef:
    return FeedRef(user_id, yubl.yubl_id, yubl.author_id, yubl.posted_at)
