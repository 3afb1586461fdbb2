"""Reading records of the Kinesis Producer Library's aggregated format (KPL).

An aggregated Kinesis record carries many *user records*: the magic bytes
``f3 89 9a c2``, a protobuf ``AggregatedRecord`` (a table of partition keys, a table of
explicit hash keys, then the user records, each with the index of its keys and its
data), and the MD5 digest of the protobuf bytes. Lambda hands the aggregate over as it
is; de-aggregating is the consumer's work. Sub-sequence numbers are the user records'
positions in the aggregate, from 0, as the KCL numbers them.

Written by hand, not with ``aws-kinesis-agg``'s de-aggregator, because that one's
fallbacks are silent, and a consumer must not be: an aggregate whose digest is wrong
comes back as the raw record (to be refused later as "not JSON", the real reason
lost); an exception while splitting the user records (a key index out of its table)
is printed to stderr and the remaining user records are dropped, with nothing
returned to tell. Neither can be told apart from outside the call. Here a digest that
does not match or protobuf bytes that do not parse refuse the whole Kinesis record
(``CorruptAggregate``, with the reason), and a user record that names a key its
aggregate lacks is refused alone (``UserRecord.problem``), its siblings kept. The
library would also bring ``protobuf`` into the deployed zip and put its own folder at
the front of ``sys.path`` on import; the format's three messages need neither.
The wire format: github.com/awslabs/amazon-kinesis-producer, ``aggregation-format.md``.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["MAGIC", "CorruptAggregate", "UserRecord", "is_aggregated", "user_records"]

MAGIC = b"\xf3\x89\x9a\xc2"
_DIGEST_SIZE = 16  # MD5
_VARINT, _FIXED64, _BYTES, _FIXED32 = 0, 1, 2, 5


class CorruptAggregate(ValueError):
    """Data that starts like a KPL aggregate but is not one: no retry can read it."""


@dataclass(frozen=True)
class UserRecord:
    sub_sequence_number: int
    partition_key: str | None
    explicit_hash_key: str | None
    data: bytes
    problem: str | None = None  # why this user record cannot be read, its siblings can

    def origin(self, aggregate: Mapping[str, Any]) -> dict[str, Any]:
        """Where this user record came from, for operators: its aggregate's ``origin`` (a
        Kinesis record's: ``sequenceNumber``, ...) with the user record's own partition
        key, sub-sequence number and data (base64). The one shape of it, for the
        processor's dead letters and for the re-drive of Lambda's on-failure records."""
        origin = {
            **aggregate,
            "partitionKey": self.partition_key,
            "subSequenceNumber": self.sub_sequence_number,
            "aggregated": True,
            "data": base64.b64encode(self.data).decode("ascii"),
        }
        if self.explicit_hash_key is not None:
            origin["explicitHashKey"] = self.explicit_hash_key
        return origin


def is_aggregated(data: bytes) -> bool:
    """Whether ``data`` is in the aggregated format (starts with the magic bytes).

    No JSON text starts so: ``f3`` opens a four-byte UTF-8 character and ``c2`` cannot
    continue one, so a plain record is never taken for an aggregate."""
    return data.startswith(MAGIC)


def user_records(data: bytes) -> list[UserRecord]:
    """The user records of an aggregate, in order; ``CorruptAggregate`` naming what is
    wrong when the digest does not match or the protobuf bytes do not parse."""
    if not is_aggregated(data):
        raise CorruptAggregate("not a KPL aggregate (no magic bytes)")
    if len(data) < len(MAGIC) + _DIGEST_SIZE:
        raise CorruptAggregate(f"KPL aggregate of {len(data)} bytes is too short")
    body, digest = data[len(MAGIC) : -_DIGEST_SIZE], data[-_DIGEST_SIZE:]
    if hashlib.md5(body, usedforsecurity=False).digest() != digest:
        raise CorruptAggregate("KPL aggregate's MD5 digest does not match its contents")
    keys: list[str] = []
    hash_keys: list[str] = []
    raw: list[bytes] = []
    for number, wire, value in _fields(body):
        if number == 1 and wire == _BYTES:
            keys.append(_text(value, "partition key"))
        elif number == 2 and wire == _BYTES:
            hash_keys.append(_text(value, "explicit hash key"))
        elif number == 3 and isinstance(value, bytes):
            raw.append(value)
    return [_user_record(n, part, keys, hash_keys) for n, part in enumerate(raw)]


def _user_record(number: int, part: bytes, keys: list[str], hash_keys: list[str]) -> UserRecord:
    found: dict[int, int | bytes] = {}
    for field, wire, value in _fields(part):
        if (field, wire) in ((1, _VARINT), (2, _VARINT), (3, _BYTES)):
            found[field] = value
    key, hash_key, data = found.get(1), found.get(2), found.get(3)
    problems = []
    if not isinstance(data, bytes):
        problems.append("has no data")
    if not isinstance(key, int) or key >= len(keys):
        problems.append(f"names partition key {key!r} of a table of {len(keys)}")
    if isinstance(hash_key, int) and hash_key >= len(hash_keys):
        problems.append(f"names explicit hash key {hash_key} of a table of {len(hash_keys)}")
    return UserRecord(
        sub_sequence_number=number,
        partition_key=keys[key] if isinstance(key, int) and key < len(keys) else None,
        explicit_hash_key=(
            hash_keys[hash_key] if isinstance(hash_key, int) and hash_key < len(hash_keys) else None
        ),
        data=data if isinstance(data, bytes) else b"",
        problem=f"user record {number} {' and '.join(problems)}" if problems else None,
    )


def _text(value: int | bytes, what: str) -> str:
    try:
        return value.decode("utf-8") if isinstance(value, bytes) else str(value)
    except UnicodeDecodeError:
        raise CorruptAggregate(f"KPL aggregate holds a {what} that is not UTF-8") from None


def _fields(buffer: bytes) -> list[tuple[int, int, int | bytes]]:
    """(field number, wire type, value) of each field of one protobuf message."""
    fields: list[tuple[int, int, int | bytes]] = []
    at = 0
    while at < len(buffer):
        tag, at = _varint(buffer, at)
        number, wire = tag >> 3, tag & 7
        if number == 0:
            raise CorruptAggregate("KPL aggregate holds a protobuf field numbered 0")
        value: int | bytes
        if wire == _VARINT:
            value, at = _varint(buffer, at)
        elif wire == _BYTES:
            length, at = _varint(buffer, at)
            value, at = buffer[at : at + length], at + length
        elif wire in (_FIXED64, _FIXED32):
            size = 8 if wire == _FIXED64 else 4
            value, at = int.from_bytes(buffer[at : at + size], "little"), at + size
        else:
            raise CorruptAggregate(f"KPL aggregate holds protobuf wire type {wire}")
        if at > len(buffer):
            raise CorruptAggregate("KPL aggregate's protobuf bytes end inside a field")
        fields.append((number, wire, value))
    return fields


def _varint(buffer: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if at >= len(buffer) or shift > 63:
            raise CorruptAggregate("KPL aggregate's protobuf bytes end inside a number")
        byte = buffer[at]
        value |= (byte & 0x7F) << shift
        at, shift = at + 1, shift + 7
        if not byte & 0x80:
            return value, at
