"""Capped feeds: which feeds to trim after a write, and which entries go.

A feed keeps its newest ``max_items`` entries (newest by sort key, the yubl id, which
begins with the posting time). Trimming every feed on every write would cost a Query
per entry written; a per-user counter would cost an UpdateItem per entry (BatchWriteItem
cannot ADD). So a feed is trimmed when the entry just written draws it: a hash of
(user, yubl) picks one entry in ``trim_every``, the same one on every replay, spread
evenly over users and posts (no post makes a whole fan-out trim at once). A trim
deletes everything beyond the newest ``max_items``; between two trims a feed holds
``max_items`` plus the entries since its last trim (``trim_every`` on average), and
reads never show more than ``max_items`` (``visible``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["DEFAULT_MAX_ITEMS", "DEFAULT_TRIM_EVERY", "FeedCap"]

DEFAULT_MAX_ITEMS = 800  # as Twitter's and Mastodon's home timelines keep
DEFAULT_TRIM_EVERY = 1000  # one Query per 1,000 entries, written in 40 BatchWriteItem: 2.5%


@dataclass(frozen=True)
class FeedCap:
    max_items: int = DEFAULT_MAX_ITEMS
    trim_every: int = DEFAULT_TRIM_EVERY

    def __post_init__(self) -> None:
        if self.max_items < 1 or self.trim_every < 1:
            raise ValueError("max_items and trim_every must be at least 1")

    def draws_trim(self, user_id: str, yubl_id: str) -> bool:
        """Whether writing ``yubl_id`` into ``user_id``'s feed trims that feed."""
        if self.trim_every == 1:
            return True
        digest = hashlib.blake2b(f"{user_id}\x00{yubl_id}".encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big") % self.trim_every == 0

    def feeds_to_trim(self, written: Iterable[tuple[str, str]]) -> list[str]:
        """The users, in first-drawn order, whose feeds the written (user, yubl) entries draw."""
        return list(dict.fromkeys(u for u, y in written if self.draws_trim(u, y)))

    def beyond(self, newest_first: Sequence[str]) -> list[str]:
        """The sort keys past the newest ``max_items``, from a feed's keys newest first."""
        return list(newest_first[self.max_items :])

    def visible(self, shown_before: int, limit: int) -> int:
        """How many entries a page may show after ``shown_before`` were shown: never past
        the cap, whatever the feed holds between trims."""
        return max(0, min(limit, self.max_items - shown_before))
