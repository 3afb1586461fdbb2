"""The in-memory twin of the shortener's store, for unit tests; counts its counter writes."""

from __future__ import annotations

import dataclasses
import threading

from .rules import Link

__all__ = ["InMemoryLinkStore"]


class InMemoryLinkStore:
    def __init__(self) -> None:
        self.links: dict[str, Link] = {}
        self.claims: dict[str, str] = {}
        self.counter = 0
        self.counter_writes = 0
        self._lock = threading.Lock()

    def allocate_block(self, size: int) -> int:
        with self._lock:
            self.counter += size
            self.counter_writes += 1
            return self.counter - size

    def create(self, link: Link) -> bool:
        with self._lock:
            if link.code in self.links:
                return False
            self.links[link.code] = link
            return True

    def delete(self, code: str) -> None:
        with self._lock:
            self.links.pop(code, None)

    def get(self, code: str) -> Link | None:
        return self.links.get(code)

    def claimed_code(self, key: str) -> str | None:
        return self.claims.get(key)

    def claim(self, key: str, code: str, replacing: str | None) -> str:
        with self._lock:
            held = self.claims.get(key)
            if held is None or held == replacing:
                self.claims[key] = code
                return code
            return held

    def record_visit(self, code: str, now: str) -> Link | None:
        with self._lock:
            link = self.links.get(code)
            if link is None or (link.expires_at is not None and link.expires_at <= now):
                return None
            self.links[code] = dataclasses.replace(link, visits=link.visits + 1)
            return self.links[code]
