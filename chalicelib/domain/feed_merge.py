"""The read side of hybrid fan-out: one feed page merged from several newest-first sources.

A reader's feed comes from the references fanned out into their feed and, at read
time, from the posts that were not fanned out (authors above the celebrity
threshold). Every source is ordered by the same key, the yubl id: it begins with the
posting time in milliseconds and is unique. So one position, the last yubl id a page
returned, places the reader in every source at once; the next page asks each source
only for what lies strictly before it. A yubl found in two sources (a post fanned out
in part before its author crossed the threshold) is one item. Written by hand: a
k-way merge of a few short lists is ``heapq.merge`` plus the rules of the position.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["MergedPage", "SourcePage", "merge_newest_first"]

T = TypeVar("T")


@dataclass(frozen=True)
class SourcePage(Generic[T]):
    """Up to ``limit`` items of one source, newest first, all strictly before the
    position asked for; ``more`` says the source holds older ones still."""

    items: list[T]
    more: bool


@dataclass(frozen=True)
class MergedPage(Generic[T]):
    items: list[T]
    before: str | None  # the position of the next page; None: every source is exhausted


def merge_newest_first(
    pages: Sequence[SourcePage[T]], limit: int, key: Callable[[T], str]
) -> MergedPage[T]:
    """The newest ``limit`` distinct items (by ``key``) of the sources' pages.

    Each page must hold the source's newest ``limit`` items before the position (fewer
    only when ``more`` is False): then the first ``limit`` merged items are the newest of
    the union, and the next page, before the last of them, misses none and repeats none.
    On equal keys the earlier source's item is kept.
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    ordered = heapq.merge(
        *([(key(item), index, item) for item in page.items] for index, page in enumerate(pages)),
        key=lambda entry: (_Descending(entry[0]), entry[1]),
    )
    items: list[T] = []
    last: str | None = None
    more = False
    for item_key, _, item in ordered:
        if item_key == last:
            continue  # the same yubl from a later source
        if len(items) == limit:
            more = True
            break
        items.append(item)
        last = item_key
    more = more or any(page.more for page in pages)
    return MergedPage(items=items, before=last if more and items else None)


@dataclass(frozen=True)
class _Descending:
    """A string key that sorts in reverse, for ``heapq.merge`` of newest-first lists."""

    value: str

    def __lt__(self, other: _Descending) -> bool:
        return self.value > other.value
