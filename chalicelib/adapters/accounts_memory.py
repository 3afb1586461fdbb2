"""In-memory twins of the accounts ports, for unit tests (``memory.py`` holds the rest)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from ..domain.accounts import ACTIVE, DELETED, Account
from ..domain.exports import ExportRequest
from .memory import InMemoryFollowerStore, InMemoryPostStore

__all__ = [
    "CountingInMemoryFollowerStore",
    "InMemoryArchiveIndex",
    "InMemoryAuthoredPosts",
    "InMemoryExportStore",
    "InMemoryKeyDeletes",
    "InMemoryRows",
    "InMemorySignInPool",
    "InMemoryUserStore",
    "InMemoryWorkQueue",
]


class InMemoryUserStore:
    """Users rows by id, with the table's conditions; counts reads as DynamoDB takes them."""

    def __init__(self, active: Iterable[str] = (), created_at: str = "2026-01-01T00:00:00.000Z"):
        self.rows: dict[str, Account] = {u: Account(u, created_at) for u in active}
        self.gets = 0
        self.batch_reads = 0

    def register(self, user_id: str, created_at: str) -> bool:
        if user_id in self.rows:
            return False
        self.rows[user_id] = Account(user_id, created_at, ACTIVE)
        return True

    def get(self, user_id: str) -> Account | None:
        self.gets += 1
        return self.rows.get(user_id)

    def accounts(self, user_ids: Sequence[str], consistent: bool = False) -> dict[str, Account]:
        self.batch_reads += 1
        return {u: self.rows[u] for u in dict.fromkeys(user_ids) if u in self.rows}

    def existing(self, user_ids: Sequence[str]) -> set[str]:
        return {u for u, a in self.accounts(user_ids).items() if a.active}

    def mark_deleted(self, user_id: str, deleted_at: str) -> Account:
        row = self.rows.get(user_id) or Account(user_id, deleted_at)
        row = replace(row, status=DELETED, deleted_at=row.deleted_at or deleted_at)
        self.rows[user_id] = row
        return row

    def mark_erased(self, user_id: str, erased_at: str) -> None:
        row = self.rows[user_id]
        if row.status != DELETED:
            raise ValueError(f"{user_id} is not deleted")  # the table's condition
        self.rows[user_id] = replace(row, erased_at=erased_at)


class InMemorySignInPool:
    def __init__(self) -> None:
        self.disabled: set[str] = set()
        self.signed_out: Counter[str] = Counter()

    def disable(self, user_id: str) -> None:
        self.disabled.add(user_id)

    def sign_out(self, user_id: str) -> None:
        self.signed_out[user_id] += 1


class CountingInMemoryFollowerStore(InMemoryFollowerStore):
    """Relationships with each author's follower count, kept as the counting store keeps
    it: a follow or unfollow changes the count only when it changes the relationship."""

    def __init__(self) -> None:
        super().__init__()
        self.counts: Counter[str] = Counter()

    def add(self, user_id: str, follower_id: str) -> None:
        if not self.follows(user_id, follower_id):
            self.counts[user_id] += 1
        super().add(user_id, follower_id)

    def remove(self, user_id: str, follower_id: str) -> None:
        if self.follows(user_id, follower_id):
            self.counts[user_id] -= 1
        super().remove(user_id, follower_id)

    # AuthorIndex
    def follower_count(self, author_id: str) -> int:
        return self.counts[author_id]

    def mark_pulling(self, author_id: str) -> None:
        raise NotImplementedError

    def pulling(self) -> set[str]:
        return set()


class InMemoryAuthoredPosts:
    def __init__(self, posts: InMemoryPostStore) -> None:
        self.posts = posts

    def after(self, author_id: str, after: str | None, limit: int) -> list[tuple[str, str | None]]:
        keys = {k for k in self.posts.posts if k[0] == author_id} | {
            k for k in self.posts.deleted if k[0] == author_id
        }
        ids = sorted(k[1] for k in keys if after is None or k[1] > after)[:limit]
        return [(i, self.posts.deleted_at.get((author_id, i))) for i in ids]


class InMemoryRows:
    """A table of one row per user: ``rows`` holds whose there is."""

    def __init__(self, rows: Iterable[str] = ()) -> None:
        self.rows = set(rows)

    def delete(self, user_id: str) -> None:
        self.rows.discard(user_id)


class InMemoryKeyDeletes:
    """Rows of a two-key twin deleted by key, unconditionally (``remove`` does one)."""

    def __init__(self, remove: Callable[[str, str], None]) -> None:
        self._remove = remove
        self.calls = 0  # as BatchWriteItem takes them, 25 keys a call

    def delete_keys(self, keys: Sequence[tuple[str, str]]) -> None:
        self.calls += -(-len(keys) // 25)
        for first, second in keys:
            self._remove(first, second)


class InMemoryArchiveIndex:
    def __init__(self) -> None:
        self.entries: set[tuple[str, str]] = set()

    def add(self, entries: Sequence[tuple[str, str]]) -> None:
        self.entries.update(entries)

    def keys(self, user_id: str) -> list[str]:
        return sorted(key for user, key in self.entries if user == user_id)

    def remove(self, user_id: str, keys: Sequence[str]) -> None:
        self.entries.difference_update((user_id, key) for key in keys)


class InMemoryExportStore:
    """Requests and files by (user, export id)."""

    def __init__(self) -> None:
        self.requests: dict[tuple[str, str], ExportRequest] = {}
        self.files: dict[tuple[str, str], list[str]] = {}

    def put_request(self, request: ExportRequest) -> None:
        self.requests[(request.user_id, request.export_id)] = request

    def state(self, user_id: str, export_id: str) -> str | None:
        if (user_id, export_id) in self.files:
            return "ready"
        return "pending" if (user_id, export_id) in self.requests else None

    def write(self, user_id: str, export_id: str, lines: Iterable[str]) -> int:
        self.files[(user_id, export_id)] = list(lines)
        return len(self.files[(user_id, export_id)])

    def url(self, user_id: str, export_id: str, seconds: int) -> str:
        return f"memory://exports/{user_id}/{export_id}?expires={seconds}"

    def delete_all(self, user_id: str) -> int:
        mine = [k for k in {*self.requests, *self.files} if k[0] == user_id]
        for key in mine:
            self.requests.pop(key, None)
            self.files.pop(key, None)
        return len(mine)


class InMemoryWorkQueue:
    """Messages sent, each with its delay and whether it was the same hop."""

    def __init__(self) -> None:
        self.sent: list[tuple[dict[str, Any], int, bool]] = []

    def send(
        self, message: Mapping[str, Any], delay_seconds: int = 0, same_hop: bool = False
    ) -> None:
        self.sent.append((json.loads(json.dumps(message)), delay_seconds, same_hop))
