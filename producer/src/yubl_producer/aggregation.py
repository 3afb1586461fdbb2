"""KPL aggregation: many events in one Kinesis record, grouped so that per-key order holds.

An aggregated record lands on one shard, the one its own partition key hashes to, so
every event in it must belong to that shard. ``aws-kinesis-agg``'s ``RecordAggregator``
mixes keys in arrival order: with two shards, half of an aggregate's events land on a
shard their key does not map to, and one key's events are then read from two shards,
out of order. Here events are grouped first, either by the shard their partition key
hashes to (``ShardMap``, from ListShards' hash-key ranges of the open shards) or by
partition key alone (``by="key"``: always right, even across a reshard, but fewer
events per record when keys are many).

The format (magic bytes, a protobuf ``AggregatedRecord``, its MD5) is written here, a
few lines of protobuf, rather than with ``aws-kinesis-agg``: that package imports
``six`` without declaring it, puts its own folder at the front of ``sys.path`` when
imported (a library must not do that to the services that install it) and does not
keep an aggregate within PutRecords' limit once the partition key is counted.
The dispatcher reads the format with its own strict reader; the tests check this
writer's records with ``aws-kinesis-agg``'s de-aggregator as well.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "MAGIC",
    "MAX_RECORD_BYTES",
    "Aggregate",
    "ShardMap",
    "aggregate",
    "hash_key",
]

MAGIC = b"\xf3\x89\x9a\xc2"
MAX_RECORD_BYTES = 1024 * 1024
"""A Kinesis record's data plus its partition key, at most (PutRecords' limit)."""


def hash_key(partition_key: str) -> int:
    """The 128-bit hash key Kinesis maps a partition key to (MD5, big-endian)."""
    return int.from_bytes(hashlib.md5(partition_key.encode("utf-8")).digest(), "big")


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


@dataclass
class Aggregate:
    """One aggregated record being filled: the events' indexes, keys and data."""

    limit: int = MAX_RECORD_BYTES
    keys: dict[str, int] = field(default_factory=dict)
    records: list[bytes] = field(default_factory=list)
    members: list[int] = field(default_factory=list)  # the events' positions in the input
    first_key: str = ""
    _size: int = len(MAGIC) + 16

    def add(self, position: int, partition_key: str, data: bytes) -> bool:
        """Add an event if the record stays within the limit (counting the aggregate's
        own partition key, the first event's); False when it would not."""
        index = self.keys.get(partition_key, len(self.keys))
        record = b"\x08" + _varint(index) + _field(3, data)
        grows = len(_field(3, record))
        if partition_key not in self.keys:
            grows += len(_field(1, partition_key.encode("utf-8")))
        first = self.first_key or partition_key
        if self.records and self._size + grows + len(first.encode("utf-8")) > self.limit:
            return False
        self.keys.setdefault(partition_key, index)
        self.records.append(record)
        self.members.append(position)
        self.first_key = first
        self._size += grows
        return True

    def data(self) -> bytes:
        """The aggregated record's data: magic bytes, protobuf, MD5 of the protobuf."""
        body = b"".join(_field(1, key.encode("utf-8")) for key in self.keys)
        body += b"".join(_field(3, record) for record in self.records)
        return MAGIC + body + hashlib.md5(body).digest()


class ShardMap:
    """The open shards' hash-key ranges; which shard a partition key goes to."""

    def __init__(self, shards: Iterable[tuple[str, int, int]]) -> None:
        self._shards = sorted(shards, key=lambda shard: shard[1])
        self._starts = [start for _, start, _ in self._shards]
        if not self._shards:
            raise ValueError("the stream has no open shard")

    @classmethod
    def of_stream(cls, client: Any, stream_name: str) -> ShardMap:
        """ListShards, every page; closed shards (a reshard's parents) left out."""
        shards: list[tuple[str, int, int]] = []
        kwargs: dict[str, Any] = {"StreamName": stream_name}
        while True:
            page = client.list_shards(**kwargs)
            for shard in page["Shards"]:
                if "EndingSequenceNumber" in shard["SequenceNumberRange"]:
                    continue
                hashes = shard["HashKeyRange"]
                shards.append(
                    (
                        shard["ShardId"],
                        int(hashes["StartingHashKey"]),
                        int(hashes["EndingHashKey"]),
                    )
                )
            if not page.get("NextToken"):
                return cls(shards)
            kwargs = {"NextToken": page["NextToken"]}

    def shard_for(self, partition_key: str) -> str:
        value = hash_key(partition_key)
        at = bisect.bisect_right(self._starts, value) - 1
        shard_id, start, end = self._shards[max(at, 0)]
        if not start <= value <= end:
            raise ValueError(f"no open shard holds hash key {value}: the map has a gap")
        return shard_id


def aggregate(
    keyed: Iterable[tuple[int, str, bytes]], group_of: Any, limit: int = MAX_RECORD_BYTES
) -> Iterator[tuple[str, Aggregate]]:
    """Aggregates of ``(position, partition key, data)``, one group (``group_of(key)``:
    a shard id or the key itself) per aggregate, each group's events in input order.
    Yields (group, aggregate) as each one fills, the partly filled ones at the end."""
    open_: dict[str, Aggregate] = {}
    for position, key, data in keyed:
        group = group_of(key)
        current = open_.setdefault(group, Aggregate(limit))
        if not current.add(position, key, data):
            yield group, current
            current = open_[group] = Aggregate(limit)
            if not current.add(position, key, data):  # an empty aggregate takes one event
                raise AssertionError("an aggregate refused its first event")
    yield from open_.items()
