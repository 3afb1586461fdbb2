"""Re-read the records of a Lambda on-failure record (``KinesisBatchInfo``) from the stream.

Lambda's on-failure destination gets where a failed batch lies (stream, shard, first
and last sequence number), never its data. The data stays in the stream until its
retention ends, so re-driving means reading the range again: an iterator
``AT_SEQUENCE_NUMBER`` of the first record, then GetRecords up to the last one. When
that is no longer possible, ``Refused`` says why, and the message must stay where it is.

Every record of the range comes back, also records the mapping's filter had dropped
or (with a parallelization factor above one) that another batch of the shard held:
re-running them is harmless, the feed is idempotent.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

__all__ = ["BatchRange", "KinesisBatchReader", "Refused", "StreamRecord"]

_READ_LIMIT = 1000  # records a GetRecords call (a batch is at most 10,000)
_EMPTY_READS = 20  # empty GetRecords answers in a row (sparse shards) before we stop


class Refused(Exception):
    """A dead letter that cannot be re-driven; the message says why and what to do."""


@dataclass(frozen=True)
class BatchRange:
    """Where a failed batch lies: ``KinesisBatchInfo`` of an on-failure record."""

    stream_arn: str
    shard_id: str
    start: str  # sequence numbers, as the record gives them
    end: str
    batch_size: int
    first_arrival: datetime

    @classmethod
    def from_info(cls, info: Mapping[str, Any]) -> BatchRange:
        try:
            arrival = datetime.fromisoformat(info["approximateArrivalOfFirstRecord"])
            return cls(
                stream_arn=str(info["streamArn"]),
                shard_id=str(info["shardId"]),
                start=str(int(info["startSequenceNumber"])),
                end=str(int(info["endSequenceNumber"])),
                batch_size=int(info["batchSize"]),
                first_arrival=arrival if arrival.tzinfo else arrival.replace(tzinfo=UTC),
            )
        except (KeyError, TypeError, ValueError) as err:
            raise Refused(f"KinesisBatchInfo is incomplete or garbled ({err!r})") from None

    @property
    def stream_name(self) -> str:
        return self.stream_arn.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class StreamRecord:
    sequence_number: str
    partition_key: str
    data: bytes

    def lambda_origin(self, batch: BatchRange) -> dict[str, Any]:
        """The record's ``origin``, as the processor writes it for a Kinesis record."""
        return {
            "eventSourceARN": batch.stream_arn,
            "eventID": f"{batch.shard_id}:{self.sequence_number}",
            "partitionKey": self.partition_key,
            "sequenceNumber": self.sequence_number,
            "data": base64.b64encode(self.data).decode(),
        }


class KinesisBatchReader:
    """Reads a batch's records back, or refuses: stream gone, shard gone, records expired."""

    def __init__(
        self,
        kinesis_client: Any,
        max_record_age_seconds: Callable[[str], int | None] = lambda handler: None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._kinesis = kinesis_client
        self._max_age = max_record_age_seconds
        self._clock = clock

    def read(self, batch: BatchRange, handler: str) -> list[StreamRecord]:
        retention = self._retention(batch)
        expires = batch.first_arrival + retention
        if expires <= self._clock():
            when = f"so they expired {expires:%Y-%m-%dT%H:%M:%SZ}"
            raise Refused(self._expired(batch, handler, retention, when))
        records = self._read_range(batch, self._iterator(batch))
        if not records or records[0].sequence_number != batch.start:
            found = records[0].sequence_number if records else "nothing"
            raise Refused(
                self._expired(
                    batch,
                    handler,
                    retention,
                    f"the shard no longer holds record {batch.start} (it begins at {found})",
                )
            )
        if records[-1].sequence_number != batch.end:
            raise Refused(
                f"shard {batch.shard_id} of {batch.stream_name} ends at "
                f"{records[-1].sequence_number}, before the batch's last record {batch.end}"
            )
        return records

    def _retention(self, batch: BatchRange) -> timedelta:
        try:
            summary = self._kinesis.describe_stream_summary(StreamName=batch.stream_name)
        except ClientError as err:
            if _code(err) == "ResourceNotFoundException":
                raise Refused(
                    f"stream {batch.stream_name} no longer exists: the batch's records are gone"
                ) from None
            raise
        return timedelta(hours=int(summary["StreamDescriptionSummary"]["RetentionPeriodHours"]))

    def _iterator(self, batch: BatchRange) -> str:
        try:
            response = self._kinesis.get_shard_iterator(
                StreamName=batch.stream_name,
                ShardId=batch.shard_id,
                ShardIteratorType="AT_SEQUENCE_NUMBER",
                StartingSequenceNumber=batch.start,
            )
        except ClientError as err:
            if _code(err) == "ResourceNotFoundException":
                raise Refused(
                    f"shard {batch.shard_id} of {batch.stream_name} no longer exists (a "
                    "resharded parent past the retention period): the batch's records are gone"
                ) from None
            if _code(err) == "InvalidArgumentException":
                raise Refused(
                    f"shard {batch.shard_id} of {batch.stream_name} refuses sequence number "
                    f"{batch.start}: {err.response['Error'].get('Message')}"
                ) from None
            raise
        return str(response["ShardIterator"])

    def _read_range(self, batch: BatchRange, iterator: str | None) -> list[StreamRecord]:
        end = int(batch.end)
        records: list[StreamRecord] = []
        empty = 0
        while iterator is not None and empty < _EMPTY_READS:
            response = self._kinesis.get_records(ShardIterator=iterator, Limit=_READ_LIMIT)
            iterator = response.get("NextShardIterator")  # None: a closed shard, read to its end
            empty = 0 if response["Records"] else empty + 1
            for raw in response["Records"]:
                if int(raw["SequenceNumber"]) > end:
                    return records
                records.append(_record(raw))
                if int(raw["SequenceNumber"]) == end:
                    return records
            if not response["Records"] and response.get("MillisBehindLatest", 0) == 0:
                break  # at the tip of the shard: nothing more to come
        return records

    def _expired(self, batch: BatchRange, handler: str, retention: timedelta, what: str) -> str:
        hours = int(retention.total_seconds() // 3600)
        message = (
            f"the batch's records have left {batch.stream_name}: its first record arrived "
            f"{batch.first_arrival:%Y-%m-%dT%H:%M:%SZ} and the stream keeps records "
            f"{hours} h, {what}"
        )
        max_age = self._max_age(handler)
        if max_age is not None and max_age >= retention.total_seconds():
            message += (
                f". Note: {handler}'s MaximumRecordAgeInSeconds ({max_age}) is not below the "
                f"retention ({int(retention.total_seconds())} s), so a batch given up for its "
                "age is already expiring; lower it or raise the stream's retention period"
            )
        return message


def _record(raw: Mapping[str, Any]) -> StreamRecord:
    return StreamRecord(
        sequence_number=str(raw["SequenceNumber"]),
        partition_key=str(raw["PartitionKey"]),
        data=bytes(raw["Data"]),
    )


def _code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))
