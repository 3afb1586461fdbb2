"""One page of a partition's sort keys (followers, whom a user follows, mutes), read with
one more row than asked so a next page is known to exist without an empty extra call."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ..domain.paging import Page
from .cursors import decode_cursor, encode_cursor

__all__ = ["sort_key_page"]


def sort_key_page(
    query: Callable[..., Iterable[Any]],
    key: tuple[str, str],
    sort_key_name: str,
    limit: int,
    cursor: str | None,
) -> Page[str]:
    """``query`` (a model's or index's) of the partition ``key`` = (name, value), ascending."""
    name, value = key
    after = decode_cursor(cursor)
    start = None if after is None else {name: {"S": value}, sort_key_name: {"S": after}}
    rows = list(query(value, limit=limit + 1, last_evaluated_key=start, page_size=limit + 1))
    keys = [getattr(row, sort_key_name) for row in rows[:limit]]
    more = len(rows) > limit
    return Page(items=keys, next_cursor=encode_cursor(keys[-1]) if more else None)
