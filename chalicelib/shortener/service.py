"""The shortener's use cases: shorten, follow, describe; and the port they need.

The same long URL gets the same code even when two posts race: a post first writes
its link under a fresh code, then claims the URL's key with a conditional put; the
loser deletes its link and returns the winner's code. Link first, claim second, so a
claim always names a link that exists.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from .codes import code_for
from .rules import (
    RESERVED_PATHS,
    InvalidLink,
    Link,
    LinkExpired,
    LinkNotFound,
    SlugTaken,
    check_slug,
    format_time,
    is_blocked,
    is_code,
    normalize_url,
    parse_expiry,
    url_key,
)

__all__ = ["CodeAllocator", "LinkStore", "ShortenerService"]


class LinkStore(Protocol):
    def allocate_block(self, size: int) -> int:
        """Advance the counter by ``size`` atomically; the first value of the block."""

    def create(self, link: Link) -> bool:
        """Store ``link`` unless its code exists; False when it does."""

    def delete(self, code: str) -> None: ...

    def get(self, code: str) -> Link | None: ...

    def claimed_code(self, key: str) -> str | None:
        """The code that holds the URL key ``key``, read consistently."""

    def claim(self, key: str, code: str, replacing: str | None) -> str:
        """Give ``key`` to ``code`` if no code holds it (or ``replacing`` does); the holder."""

    def record_visit(self, code: str, now: str) -> Link | None:
        """Count a visit of a live link (atomic ADD) and return it; None: absent or expired."""


class CodeAllocator:
    """Hands out codes from counter blocks: one counter write per ``block_size`` codes."""

    def __init__(self, store: LinkStore, key: bytes, block_size: int) -> None:
        self._store, self._key, self._block_size = store, key, block_size
        self._next = self._end = 0
        self._lock = threading.Lock()

    def next_code(self) -> str:
        with self._lock:
            if self._next == self._end:
                self._next = self._store.allocate_block(self._block_size)
                self._end = self._next + self._block_size
            counter, self._next = self._next, self._next + 1
        return code_for(counter, self._key)


class ShortenerService:
    def __init__(
        self,
        store: LinkStore,
        codes: CodeAllocator,
        clock: Callable[[], datetime],
        blocked_hosts: frozenset[str] = frozenset(),
    ) -> None:
        self._store, self._codes, self._clock = store, codes, clock
        self._blocked_hosts = blocked_hosts

    def shorten(
        self,
        url: object,
        slug: object = None,
        expires_at: object = None,
        own_origins: frozenset[tuple[str, int]] = frozenset(),
    ) -> Link:
        """The link for ``url``: under ``slug`` if given, else the URL's one code."""
        now = self._clock()
        normalized = normalize_url(url)
        problem = is_blocked(normalized, own_origins, self._blocked_hosts)
        if problem:
            raise InvalidLink("url", problem)
        custom = check_slug(slug)
        expiry = parse_expiry(expires_at, now)
        if custom is not None:
            link = Link(custom, normalized, format_time(now), expiry)
            if not self._store.create(link):
                raise SlugTaken(f"slug: {custom} is already taken")
            return link
        return self._dedupe(normalized, expiry, now)

    def _dedupe(self, url: str, expiry: str | None, now: datetime) -> Link:
        key = url_key(url, expiry)
        held = self._store.claimed_code(key)
        if held is not None:
            existing = self._store.get(held)
            if existing is not None:
                return existing
        link = self._create_with_new_code(url, expiry, now)
        winner = self._store.claim(key, link.code, replacing=held)
        if winner == link.code:
            return link
        self._store.delete(link.code)
        found = self._store.get(winner)
        if found is None:  # the winner's link is written before its claim
            raise RuntimeError(f"claim {key} names a missing link {winner}")
        return found

    def _create_with_new_code(self, url: str, expiry: str | None, now: datetime) -> Link:
        while True:
            code = self._codes.next_code()
            if code.lower() in RESERVED_PATHS:
                continue
            link = Link(code, url, format_time(now), expiry)
            if self._store.create(link):  # False: a custom slug took this code first
                return link

    def follow(self, code: str, count: bool = True) -> Link:
        """The live link of ``code``, its visit counted if ``count``; LinkNotFound or
        LinkExpired."""
        if not is_code(code):
            raise LinkNotFound(f"code: no link {code}")
        now = self._clock()
        if count:
            link = self._store.record_visit(code, format_time(now))
            if link is not None:
                return link
        found = self._store.get(code)
        if found is None:
            raise LinkNotFound(f"code: no link {code}")
        if found.expired(now):
            raise LinkExpired(f"code: link {code} expired at {found.expires_at}")
        return found

    def describe(self, code: str) -> Link:
        found = self._store.get(code) if is_code(code) else None
        if found is None:
            raise LinkNotFound(f"code: no link {code}")
        return found

    def now(self) -> datetime:
        return self._clock()
