"""In-memory twins of every port, for unit tests and for reasoning about the rules."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from ..domain.feed import FeedEntry
from ..domain.paging import Page
from .cursors import decode_cursor, encode_cursor

__all__ = [
    "InMemoryEventPublisher",
    "InMemoryFailureSink",
    "InMemoryFanoutProgress",
    "InMemoryFeedStore",
    "InMemoryFollowerStore",
    "InMemoryMessagePublisher",
]


def _page_after(ascending: list[str], limit: int, cursor: str | None) -> Page[str]:
    after = decode_cursor(cursor)
    keys = ascending if after is None else [k for k in ascending if k > after]
    page = keys[:limit]
    return Page(items=page, next_cursor=encode_cursor(page[-1]) if len(keys) > limit else None)


class InMemoryFollowerStore:
    def __init__(self) -> None:
        self.followers: dict[str, set[str]] = {}
        self.pages_served = 0

    def add(self, user_id: str, follower_id: str) -> None:
        self.followers.setdefault(user_id, set()).add(follower_id)

    def remove(self, user_id: str, follower_id: str) -> None:
        self.followers.get(user_id, set()).discard(follower_id)

    def page(self, user_id: str, limit: int, cursor: str | None) -> Page[str]:
        return _page_after(sorted(self.followers.get(user_id, ())), limit, cursor)

    def iter_pages(
        self, user_id: str, page_size: int, after: str | None = None
    ) -> Iterator[list[str]]:
        ordered = sorted(f for f in self.followers.get(user_id, ()) if after is None or f > after)
        for start in range(0, len(ordered), page_size):
            self.pages_served += 1
            yield ordered[start : start + page_size]


class InMemoryFeedStore:
    """Feed entries by key, and how often each key was written: the key hides repeats,
    ``write_counts`` shows them."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], FeedEntry] = {}
        self.writes = 0
        self.write_counts: Counter[tuple[str, str]] = Counter()

    def put_entries(self, entries: Sequence[FeedEntry]) -> None:
        for entry in entries:
            self.writes += 1
            self.write_counts[(entry.user_id, entry.yubl.yubl_id)] += 1
            self.entries[(entry.user_id, entry.yubl.yubl_id)] = entry

    def page(self, user_id: str, limit: int, cursor: str | None) -> Page[FeedEntry]:
        mine = {k[1]: e for k, e in self.entries.items() if k[0] == user_id}
        newest_first = sorted(mine, reverse=True)
        after = decode_cursor(cursor)
        if after is not None:
            newest_first = [k for k in newest_first if k < after]
        keys = newest_first[:limit]
        more = len(newest_first) > limit
        return Page(
            items=[mine[k] for k in keys], next_cursor=encode_cursor(keys[-1]) if more else None
        )


class InMemoryEventPublisher:
    def __init__(self) -> None:
        self.published: list[tuple[str, dict[str, Any]]] = []

    def publish(self, event: Mapping[str, Any], partition_key: str) -> None:
        # a JSON round trip, as the stream would do
        self.published.append((partition_key, json.loads(json.dumps(event))))


class InMemoryMessagePublisher:
    """Keeps published batches; ``fail_on`` makes publish calls of those numbers (1-based)
    raise ``fail_with`` instead, as SNS would when it fails mid-fan-out."""

    def __init__(self, fail_on: Iterable[int] = (), fail_with: Exception | None = None) -> None:
        self.batches: list[list[str]] = []
        self.calls = 0
        self._fail_on = set(fail_on)
        self._fail_with = fail_with or RuntimeError("SNS is unavailable")

    def publish_batch(self, messages: Sequence[str]) -> None:
        self.calls += 1
        if self.calls in self._fail_on:
            raise self._fail_with
        self.batches.append(list(messages))

    @property
    def messages(self) -> list[dict[str, Any]]:
        return [json.loads(m) for batch in self.batches for m in batch]


class InMemoryFanoutProgress:
    """The progress table as a dict; like the conditional write, never moves backwards."""

    def __init__(self) -> None:
        self.last: dict[str, str] = {}
        self.writes = 0

    def last_published(self, yubl_id: str) -> str | None:
        return self.last.get(yubl_id)

    def record_published(self, yubl_id: str, last_follower: str) -> None:
        self.writes += 1
        if yubl_id not in self.last or self.last[yubl_id] < last_follower:
            self.last[yubl_id] = last_follower


class InMemoryFailureSink:
    """Keeps parked and dead-lettered records, with the correlation ids they carried."""

    def __init__(self) -> None:
        self.parked: list[tuple[dict[str, Any], dict[str, str]]] = []
        self.dead_letters: list[tuple[dict[str, Any], dict[str, str]]] = []

    def park(self, failed: Mapping[str, Any], correlation: Mapping[str, str]) -> None:
        self.parked.append((dict(failed), dict(correlation)))

    def dead_letter(self, failed: Mapping[str, Any], correlation: Mapping[str, str]) -> None:
        self.dead_letters.append((dict(failed), dict(correlation)))
