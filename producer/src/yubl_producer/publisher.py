"""Putting events on the stream: PutRecords in calls within its limits, retrying only the
entries that failed, and a result per event.

PutRecords takes at most 500 records and 5 MiB (data and partition keys) a call, and
answers per entry: an entry with an ``ErrorCode`` failed, the others are stored. Only
the failed entries are sent again, after a backoff with full jitter (a random pause up
to ``base_delay * 2 ** (attempt - 1)``, at most ``max_delay``), so a throttled shard is
not hammered and nothing stored is put twice by this library. A whole call that fails
(botocore has retried it already) counts as every entry failing with its error code.

PutRecords does not keep order between entries: a failed entry sent again lands after
entries of the same key that were stored the first time. The dispatcher does not need
posts in order; it does need one follower's follow and unfollow in order, so publish
those one at a time when both may be in flight.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from .aggregation import MAX_RECORD_BYTES, ShardMap, aggregate
from .events import Event

__all__ = [
    "MAX_CALL_BYTES",
    "MAX_CALL_RECORDS",
    "RETRYABLE",
    "Progress",
    "Publisher",
    "Result",
]

MAX_CALL_RECORDS = 500
MAX_CALL_BYTES = 5 * 1024 * 1024
RETRYABLE = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "InternalFailure",
        "ServiceUnavailable",
        "ThrottlingException",
        "KMSThrottlingException",
        "LimitExceededException",
        "RequestTimeout",
        "ConnectionError",
    }
)
"""Entry or call error codes worth another attempt; any other fails the entry at once."""

Aggregation = Literal["shard", "key"] | None


@dataclass
class Result:
    """What became of one event, in the order the events were given."""

    event: Event
    ok: bool = False
    shard_id: str | None = None
    sequence_number: str | None = None
    sub_sequence_number: int | None = None  # its place in its aggregate (KPL), from 0
    attempts: int = 0
    error_code: str | None = None
    error_message: str | None = None


@dataclass
class Progress:
    """Counts as the work goes on, handed to ``on_progress`` after every call."""

    total: int
    sent: int = 0
    failed: int = 0
    retried: int = 0  # events sent more than once
    calls: int = 0


@dataclass
class _Entry:
    """One Kinesis record to put: an event, or an aggregate of several."""

    partition_key: str
    data: bytes
    members: list[int]  # positions of its events
    predicted_shard: str | None = None
    attempts: int = 0
    error: tuple[str, str] | None = None

    @property
    def size(self) -> int:
        return len(self.data) + len(self.partition_key.encode("utf-8"))


@dataclass
class Publisher:
    """``Publisher(boto3.client("kinesis"), "yubl-posted-dev").publish(events)``.

    ``aggregate``: None (one Kinesis record per event), ``"shard"`` (KPL aggregates per
    shard, from ListShards, read again on every ``publish`` and whenever a put lands
    on another shard than its map said: a reshard) or ``"key"`` (aggregates of one
    partition key each)."""

    client: Any
    stream_name: str
    aggregate: Aggregation = None
    max_attempts: int = 8
    base_delay: float = 0.1
    max_delay: float = 5.0
    sleep: Callable[[float], None] = time.sleep
    jitter: Callable[[], float] = random.random
    on_progress: Callable[[Progress], None] | None = None
    reshards_seen: int = field(default=0, init=False)

    def publish(self, events: Sequence[Event]) -> list[Result]:
        results = [Result(event) for event in events]
        progress = Progress(total=len(results))
        waiting = list(range(len(results)))
        for position in waiting:
            if results[position].event.partition_key == "":
                self._refuse(results[position], "the partition key is empty")
        waiting = [p for p in waiting if results[p].error_code is None]
        oversized = [p for p in waiting if self._single(results, p).size > MAX_RECORD_BYTES]
        for position in oversized:
            self._refuse(results[position], f"more than {MAX_RECORD_BYTES} bytes with its key")
        waiting = [p for p in waiting if p not in set(oversized)]
        progress.failed = len(results) - len(waiting)
        while waiting:
            calls = list(_chunks(self._entries(results, waiting)))
            waiting = []
            for number, chunk in enumerate(calls):
                if self._put(chunk, results, progress):
                    # a reshard: the events not yet sent are grouped again, on a fresh map
                    waiting = [p for later in calls[number + 1 :] for e in later for p in e.members]
                    break
        return results

    def _refuse(self, result: Result, why: str) -> None:
        result.error_code, result.error_message = "RecordInvalid", why

    def _single(self, results: list[Result], position: int) -> _Entry:
        event = results[position].event
        return _Entry(event.partition_key, event.data(), [position])

    def _entries(self, results: list[Result], positions: list[int]) -> list[_Entry]:
        if self.aggregate is None:
            return [self._single(results, p) for p in positions]
        shards = ShardMap.of_stream(self.client, self.stream_name)
        group_of = shards.shard_for if self.aggregate == "shard" else (lambda key: key)
        keyed = ((p, results[p].event.partition_key, results[p].event.data()) for p in positions)
        entries = []
        for _, filled in aggregate(keyed, group_of):
            entries.append(
                _Entry(
                    filled.first_key,
                    filled.data(),
                    filled.members,
                    predicted_shard=shards.shard_for(filled.first_key),
                )
            )
        entries.sort(key=lambda entry: entry.members[0])  # roughly the input's order
        return entries

    def _put(self, chunk: list[_Entry], results: list[Result], progress: Progress) -> bool:
        """Put one call's entries until each is stored or out of attempts; True when a
        record landed on another shard than predicted (the map is out of date)."""
        pending, resharded = chunk, False
        while pending:
            answers = self._call(pending)
            progress.calls += 1
            again: list[_Entry] = []
            for entry, answer in zip(pending, answers, strict=True):
                entry.attempts += 1
                if "ErrorCode" not in answer:
                    resharded |= self._stored(entry, answer, results, progress)
                    continue
                entry.error = (str(answer["ErrorCode"]), str(answer.get("ErrorMessage", "")))
                if entry.error[0] in RETRYABLE and entry.attempts < self.max_attempts:
                    if entry.attempts == 1:
                        progress.retried += len(entry.members)
                    again.append(entry)
                else:
                    self._failed(entry, results, progress)
            if self.on_progress is not None:
                self.on_progress(progress)
            if again:
                attempt = again[0].attempts
                ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
                self.sleep(self.jitter() * ceiling)
            pending = again
        return resharded

    def _call(self, entries: list[_Entry]) -> list[dict[str, Any]]:
        try:
            answer = self.client.put_records(
                StreamName=self.stream_name,
                Records=[{"PartitionKey": e.partition_key, "Data": e.data} for e in entries],
            )
        except ClientError as err:
            error = err.response.get("Error", {})
            code, message = str(error.get("Code", "ClientError")), str(error.get("Message", ""))
            if code == "ResourceNotFoundException":
                raise
            return [{"ErrorCode": code, "ErrorMessage": message} for _ in entries]
        except BotoCoreError as err:
            return [{"ErrorCode": "ConnectionError", "ErrorMessage": str(err)} for _ in entries]
        return list(answer["Records"])

    def _stored(
        self, entry: _Entry, answer: dict[str, Any], results: list[Result], progress: Progress
    ) -> bool:
        aggregated = self.aggregate is not None
        for sub, position in enumerate(entry.members):
            result = results[position]
            result.ok, result.attempts = True, entry.attempts
            result.shard_id, result.sequence_number = answer["ShardId"], answer["SequenceNumber"]
            result.sub_sequence_number = sub if aggregated else None
            result.error_code = result.error_message = None
        progress.sent += len(entry.members)
        moved = entry.predicted_shard is not None and answer["ShardId"] != entry.predicted_shard
        self.reshards_seen += int(moved)
        return moved

    def _failed(self, entry: _Entry, results: list[Result], progress: Progress) -> None:
        assert entry.error is not None
        for position in entry.members:
            result = results[position]
            result.attempts = entry.attempts
            result.error_code, result.error_message = entry.error
        progress.failed += len(entry.members)


def _chunks(entries: Iterable[_Entry]) -> Iterable[list[_Entry]]:
    """Entries in calls of at most 500 records and 5 MiB."""
    chunk: list[_Entry] = []
    size = 0
    for entry in entries:
        if chunk and (len(chunk) == MAX_CALL_RECORDS or size + entry.size > MAX_CALL_BYTES):
            yield chunk
            chunk, size = [], 0
        chunk.append(entry)
        size += entry.size
    if chunk:
        yield chunk
