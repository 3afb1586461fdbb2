"""In-memory twins of every port, for unit tests and for reasoning about the rules."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from ..domain.feed import FeedEntry, FeedRef
from ..domain.paging import Page
from ..domain.posts import Yubl
from .cursors import decode_cursor, encode_cursor

__all__ = [
    "InMemoryActivityStore",
    "InMemoryArchiveStore",
    "InMemoryEventPublisher",
    "InMemoryFailureSink",
    "InMemoryFanoutProgress",
    "InMemoryFeedStore",
    "InMemoryFeedTrimStore",
    "InMemoryFollowerIndex",
    "InMemoryFollowerStore",
    "InMemoryGroupPublisher",
    "InMemoryMessagePublisher",
    "InMemoryMuteStore",
    "InMemoryPostStore",
    "InMemoryTrimMarks",
    "InMemoryUserDirectory",
]


def _page_after(ascending: list[str], limit: int, cursor: str | None) -> Page[str]:
    after = decode_cursor(cursor)
    keys = ascending if after is None else [k for k in ascending if k > after]
    page = keys[:limit]
    return Page(items=page, next_cursor=encode_cursor(page[-1]) if len(keys) > limit else None)


class InMemoryFollowerStore:
    def __init__(self) -> None:
        self.followers: dict[str, set[str]] = {}
        self.pages_served = 0  # iter_pages: one Query page each
        self.heads_read = 0  # head: one Query each

    def add(self, user_id: str, follower_id: str) -> None:
        self.followers.setdefault(user_id, set()).add(follower_id)

    def remove(self, user_id: str, follower_id: str) -> None:
        self.followers.get(user_id, set()).discard(follower_id)

    def page(self, user_id: str, limit: int, cursor: str | None) -> Page[str]:
        return _page_after(sorted(self.followers.get(user_id, ())), limit, cursor)

    def following(self, follower_id: str, limit: int, cursor: str | None) -> Page[str]:
        followed = sorted(user for user, fans in self.followers.items() if follower_id in fans)
        return _page_after(followed, limit, cursor)

    def iter_pages(
        self, user_id: str, page_size: int, after: str | None = None
    ) -> Iterator[list[str]]:
        ordered = sorted(f for f in self.followers.get(user_id, ()) if after is None or f > after)
        for start in range(0, len(ordered), page_size):
            self.pages_served += 1
            yield ordered[start : start + page_size]

    def head(self, user_id: str, limit: int, after: str | None = None) -> list[str]:
        self.heads_read += 1
        ordered = sorted(f for f in self.followers.get(user_id, ()) if after is None or f > after)
        return ordered[:limit]

    def follows(self, user_id: str, follower_id: str) -> bool:
        return follower_id in self.followers.get(user_id, set())


class InMemoryFollowerIndex:
    """The follower index over an InMemoryFollowerStore's followers; counts its reads."""

    def __init__(self, store: InMemoryFollowerStore) -> None:
        self.store = store
        self.counting_reads = 0  # boundaries given, one counting Query each
        self.pages_served = 0

    def _ordered(self, user_id: str, after: str | None, end: str | None = None) -> list[str]:
        return sorted(
            f
            for f in self.store.followers.get(user_id, ())
            if (after is None or f > after) and (end is None or f <= end)
        )

    def boundaries(self, user_id: str, every: int, after: str | None = None) -> Iterator[str]:
        ordered = self._ordered(user_id, after)
        for i in range(every - 1, len(ordered), every):
            self.counting_reads += 1
            yield ordered[i]

    def range_pages(
        self, user_id: str, page_size: int, after: str | None, end: str | None
    ) -> Iterator[list[str]]:
        ordered = self._ordered(user_id, after, end)
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
        self.removals = 0  # keys asked to be removed, present or not

    def put_entries(self, entries: Sequence[FeedEntry]) -> None:
        for entry in entries:
            self.writes += 1
            self.write_counts[(entry.user_id, entry.yubl.yubl_id)] += 1
            self.entries[(entry.user_id, entry.yubl.yubl_id)] = entry

    def page(self, user_id: str, limit: int, cursor: str | None) -> Page[FeedRef]:
        mine = {k[1]: FeedRef.of(e) for k, e in self.entries.items() if k[0] == user_id}
        newest_first = sorted(mine, reverse=True)
        after = decode_cursor(cursor)
        if after is not None:
            newest_first = [k for k in newest_first if k < after]
        keys = newest_first[:limit]
        more = len(newest_first) > limit
        return Page(
            items=[mine[k] for k in keys], next_cursor=encode_cursor(keys[-1]) if more else None
        )

    def remove_entries(self, keys: Sequence[tuple[str, str]]) -> None:
        for key in keys:
            self.removals += 1
            self.entries.pop(key, None)

    def refs_by_author(self, user_id: str, author_id: str) -> list[FeedRef]:
        return [
            FeedRef.of(entry)
            for (user, _), entry in sorted(self.entries.items())
            if user == user_id and entry.yubl.author_id == author_id
        ]


class InMemoryPostStore:
    """Posts by (author, yubl id): ``posts`` the live ones, ``deleted`` the keys marked
    deleted, ``withheld`` the posts marked by the API whose text the dispatcher's
    tombstone has not dropped yet."""

    def __init__(self) -> None:
        self.posts: dict[tuple[str, str], Yubl] = {}
        self.deleted: set[tuple[str, str]] = set()
        self.deleted_at: dict[tuple[str, str], str] = {}  # the first delete's time
        self.withheld: dict[tuple[str, str], Yubl] = {}
        self.mentions: dict[tuple[str, str], tuple[str, ...]] = {}  # kept by the tombstones
        self.lookups = 0  # keys asked for, as BatchGetItem would be
        self.tombstone_reads = 0  # is_deleted: one consistent GetItem each

    def put(self, yubl: Yubl) -> bool:
        key = (yubl.author_id, yubl.yubl_id)
        if key in self.posts or key in self.deleted:
            return False
        self.posts[key] = yubl
        return True

    def page(self, author_id: str, limit: int, cursor: str | None) -> Page[Yubl]:
        mine = sorted((k[1] for k in self.posts if k[0] == author_id), reverse=True)
        after = decode_cursor(cursor)
        newer_first = mine if after is None else [k for k in mine if k < after]
        keys = newer_first[:limit]
        more = len(newer_first) > limit
        return Page(
            items=[self.posts[(author_id, k)] for k in keys],
            next_cursor=encode_cursor(keys[-1]) if more else None,
        )

    def is_deleted(self, author_id: str, yubl_id: str) -> bool:
        self.tombstone_reads += 1
        return (author_id, yubl_id) in self.deleted

    def mark_deleted(self, author_id: str, yubl_id: str, deleted_at: str) -> str:
        key = (author_id, yubl_id)
        self.deleted.add(key)
        post = self.posts.pop(key, None)
        if post is not None:
            self.withheld[key] = post
        return self.deleted_at.setdefault(key, deleted_at)

    def stored(self, author_id: str, yubl_id: str) -> Yubl | None:
        key = (author_id, yubl_id)
        return self.posts.get(key) or self.withheld.get(key)

    def tombstone(
        self, author_id: str, yubl_id: str, deleted_at: str, mentions: Sequence[str] = ()
    ) -> list[str]:
        key = (author_id, yubl_id)
        self.deleted.add(key)
        self.deleted_at.setdefault(key, deleted_at)
        self.posts.pop(key, None)
        self.withheld.pop(key, None)
        return list(self.mentions.setdefault(key, tuple(mentions)))

    def live(self, keys: Sequence[tuple[str, str]]) -> dict[str, Yubl]:
        self.lookups += len(keys)
        return {
            key[1]: self.posts[key] for key in keys if key in self.posts and key not in self.deleted
        }


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
        self.attributes: list[dict[str, str]] = []  # per batch
        self.calls = 0
        self._fail_on = set(fail_on)
        self._fail_with = fail_with or RuntimeError("SNS is unavailable")

    def publish_batch(
        self, messages: Sequence[str], attributes: Mapping[str, str] | None = None
    ) -> None:
        self.calls += 1
        if self.calls in self._fail_on:
            raise self._fail_with
        self.batches.append(list(messages))
        self.attributes.append(dict(attributes or {}))

    @property
    def messages(self) -> list[dict[str, Any]]:
        return [json.loads(m) for batch in self.batches for m in batch]


class InMemoryGroupPublisher:
    """One InMemoryMessagePublisher per group; ``failing`` gives a group's publisher that
    fails (an outage of that group's topic), until ``recover`` replaces it."""

    def __init__(self, failing: Mapping[str, InMemoryMessagePublisher] | None = None) -> None:
        self.groups: dict[str, InMemoryMessagePublisher] = dict(failing or {})

    def group(self, name: str) -> InMemoryMessagePublisher:
        return self.groups.setdefault(name, InMemoryMessagePublisher())

    def recover(self, name: str) -> None:
        """The group's topic is back: keep what it published, fail no more."""
        healthy = InMemoryMessagePublisher()
        healthy.batches = list(self.group(name).batches)
        healthy.attributes = list(self.group(name).attributes)
        self.groups[name] = healthy

    def publish_batch(
        self, group: str, messages: Sequence[str], attributes: Mapping[str, str]
    ) -> None:
        self.group(group).publish_batch(messages, attributes)


class InMemoryFanoutProgress:
    """The progress table as a dict; like the conditional write, never moves backwards."""

    def __init__(self) -> None:
        self.last: dict[tuple[str, str], str] = {}
        self.writes = 0

    def last_published(self, yubl_id: str, group: str) -> str | None:
        return self.last.get((yubl_id, group))

    def record_published(self, yubl_id: str, group: str, last_follower: str) -> None:
        self.writes += 1
        key = (yubl_id, group)
        if key not in self.last or self.last[key] < last_follower:
            self.last[key] = last_follower


class InMemoryUserDirectory:
    """Users that exist; ``None`` means any valid id does (no sign-in pool yet)."""

    def __init__(self, users: Iterable[str] | None = None) -> None:
        self.users = None if users is None else set(users)

    def existing(self, user_ids: Sequence[str]) -> set[str]:
        return set(user_ids) if self.users is None else set(user_ids) & self.users


class InMemoryArchiveStore:
    """Archive objects by key, as the list of their lines."""

    def __init__(self, fail_with: Exception | None = None) -> None:
        self.objects: dict[str, list[str]] = {}
        self.fail_with = fail_with

    def put_object(self, key: str, lines: Sequence[str]) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.objects[key] = list(lines)

    def get_lines(self, key: str) -> list[str] | None:
        found = self.objects.get(key)
        return None if found is None else list(found)

    def delete_object(self, key: str) -> None:
        self.objects.pop(key, None)


class InMemoryFailureSink:
    """Keeps parked and dead-lettered records, with the correlation ids they carried."""

    def __init__(self) -> None:
        self.parked: list[tuple[dict[str, Any], dict[str, str]]] = []
        self.dead_letters: list[tuple[dict[str, Any], dict[str, str]]] = []

    def park(self, failed: Mapping[str, Any], correlation: Mapping[str, str]) -> None:
        self.parked.append((dict(failed), dict(correlation)))

    def dead_letter(self, failed: Mapping[str, Any], correlation: Mapping[str, str]) -> None:
        self.dead_letters.append((dict(failed), dict(correlation)))


class InMemoryFeedTrimStore:
    """Trimming's view of an InMemoryFeedStore; counts what DynamoDB would be sent: one
    Query per feed listed, one BatchWriteItem per 25 deletes."""

    def __init__(self, feeds: InMemoryFeedStore) -> None:
        self.feeds = feeds
        self.queries = 0
        self.delete_calls = 0
        self.deleted: Counter[tuple[str, str]] = Counter()  # per key: a repeat shows

    def sort_keys_newest_first(self, user_id: str) -> list[str]:
        self.queries += 1
        return sorted((k[1] for k in self.feeds.entries if k[0] == user_id), reverse=True)

    def delete_entries(self, keys: Sequence[tuple[str, str]]) -> None:
        self.delete_calls += -(-len(keys) // 25)
        for key in keys:
            self.deleted[key] += 1
            self.feeds.entries.pop(key, None)


class InMemoryTrimMarks:
    """Which feeds were cut short by a trim; counts lookups (one GetItem each) and
    writes (one UpdateItem per user marked)."""

    def __init__(self) -> None:
        self.marked: set[str] = set()
        self.lookups = 0
        self.writes = 0

    def mark_trimmed(self, user_ids: Sequence[str]) -> None:
        self.writes += len(user_ids)
        self.marked.update(user_ids)

    def was_trimmed(self, user_id: str) -> bool:
        self.lookups += 1
        return user_id in self.marked


class InMemoryMuteStore:
    """Mutes as (user, author) pairs; counts calls as DynamoDB would take them."""

    def __init__(self) -> None:
        self.mutes: set[tuple[str, str]] = set()
        self.range_queries = 0  # muting(): one Query of the muted_by index each
        self.keys_looked_up = 0  # muted_authors(): BatchGetItem keys

    def add(self, user_id: str, author_id: str) -> None:
        self.mutes.add((user_id, author_id))

    def remove(self, user_id: str, author_id: str) -> None:
        self.mutes.discard((user_id, author_id))

    def page(self, user_id: str, limit: int, cursor: str | None) -> Page[str]:
        return _page_after(sorted(a for u, a in self.mutes if u == user_id), limit, cursor)

    def muted_authors(self, user_id: str, authors: Sequence[str]) -> set[str]:
        self.keys_looked_up += len(set(authors))
        return {a for a in authors if (user_id, a) in self.mutes}

    def muting(self, author_id: str, first: str, last: str) -> set[str]:
        self.range_queries += 1
        return {u for u, a in self.mutes if a == author_id and first <= u <= last}


class InMemoryActivityStore:
    """Last reads by user; counts calls as DynamoDB would bill them: ``gets`` (GetItem),
    ``batch_calls`` (BatchGetItem, 100 keys a call), ``writes`` (UpdateItem)."""

    def __init__(self, reads: Mapping[str, str] | None = None) -> None:
        self.reads: dict[str, str] = dict(reads or {})
        self.gets = 0
        self.batch_calls = 0
        self.writes = 0

    def last_read(self, user_id: str) -> str | None:
        self.gets += 1
        return self.reads.get(user_id)

    def last_reads(self, user_ids: Sequence[str]) -> dict[str, str]:
        keys = list(dict.fromkeys(user_ids))
        self.batch_calls += -(-len(keys) // 100)
        return {u: self.reads[u] for u in keys if u in self.reads}

    def record_read(self, user_id: str, hour: str) -> bool:
        self.writes += 1  # a conditional write that fails is billed too
        if user_id in self.reads and self.reads[user_id] >= hour:
            return False
        self.reads[user_id] = hour
        return True
