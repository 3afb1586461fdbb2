"""Reading one shard: its starting iterator, GetRecords, and knowing when it has ended.

An empty GetRecords answer means nothing: Kinesis returns empty pages in the middle
of a shard too. A shard has ended when GetRecords returns no ``NextShardIterator``
(real Kinesis, a closed shard read to its end) or, for emulators that always return
one (moto), when a closed shard has been read up to its ``EndingSequenceNumber``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from local_runtime.checkpoints import Checkpoint
from local_runtime.shard_context import ShardContext
from local_runtime.target import Liveness, now

__all__ = ["ShardReader"]

log = logging.getLogger("local_runtime")

RawRecords = list[dict[str, Any]]


class ShardReader:
    """GetRecords on one shard until it ends or the runtime stops."""

    def __init__(
        self,
        context: ShardContext,
        shard_id: str,
        source: str,
        liveness: Liveness,
        ending: str | None,
    ) -> None:
        self._context = context
        self.shard_id = shard_id
        self._source = source
        self._liveness = liveness
        self.ending = ending  # EndingSequenceNumber once the shard is closed
        self.position: int | None = None  # the last sequence number read
        self._iterator: str | None = None
        self._open_args: dict[str, Any] = {}

    def open(self, checkpoint: Checkpoint | None, trim_horizon: bool) -> None:
        """Get the first iterator now, so records written after start() are never missed."""
        context = self._context
        settings = context.settings
        args: dict[str, Any] = {"StreamName": context.stream_name, "ShardId": self.shard_id}
        if checkpoint is not None and checkpoint.sequence_number is not None:
            args.update(
                ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                StartingSequenceNumber=checkpoint.sequence_number,
            )
            self.position = int(checkpoint.sequence_number)
        elif checkpoint is not None and checkpoint.opened_at is not None:
            args.update(ShardIteratorType="AT_TIMESTAMP", Timestamp=checkpoint.opened_at)
        elif trim_horizon or settings.starting_position == "TRIM_HORIZON":
            args.update(ShardIteratorType="TRIM_HORIZON")
        elif settings.starting_position == "AT_TIMESTAMP":
            args.update(
                ShardIteratorType="AT_TIMESTAMP", Timestamp=settings.starting_position_timestamp
            )
        else:
            args.update(ShardIteratorType="LATEST")
            # Remember when LATEST began, so a restart before the first record resumes here.
            context.store.save(context.lease_key, self.shard_id, Checkpoint(opened_at=time.time()))
        self._iterator = context.kinesis.get_shard_iterator(**args)["ShardIterator"]
        self._open_args = args
        log.info(
            "%s: %s reads from %s %s",
            self._source,
            context.target.name,
            args["ShardIteratorType"],
            args.get("StartingSequenceNumber", args.get("Timestamp", "")),
        )

    def run(self, accept: Callable[[RawRecords], None], room: Callable[[], int]) -> None:
        """Hand every page of records to ``accept``; return once the shard has ended.

        ``room`` says how many more records the lanes take now (0: wait).
        """
        stopping = self._context.stopping
        while not stopping.is_set():
            space = room()
            if space <= 0:
                stopping.wait(self._context.poll_interval)
                continue
            started = now()
            try:
                response = self._context.kinesis.get_records(
                    ShardIterator=self._iterator, Limit=min(10000, space)
                )
            except Exception as err:
                self._recover(err)
                continue
            self._liveness.poll_succeeded()
            records = response.get("Records", [])
            if records:
                self.position = int(records[-1]["SequenceNumber"])
                accept(records)
            self._iterator = response.get("NextShardIterator")
            if self._iterator is None or self._read_to_end():
                return
            if not records:
                self._liveness.polled_empty(started)
                stopping.wait(self._context.poll_interval)

    def _read_to_end(self) -> bool:
        """A closed shard read up to its last record (for emulators that never end it)."""
        if self.ending is None:
            return False
        if self.position is None:  # nothing read: done only if the range is empty (moto: 0)
            return int(self.ending) == 0
        return self.position >= int(self.ending)

    def _recover(self, err: Exception) -> None:
        """An iterator left unused for 5 minutes expires: reopen it at our position.

        Anything else (throttling, a busy or restarting endpoint) is logged, waited out
        and retried: a shard reader never dies of a failed poll.
        """
        code = err.response["Error"]["Code"] if isinstance(err, ClientError) else ""
        if code == "ExpiredIteratorException":
            args = dict(self._open_args)
            if self.position is not None:
                args.pop("Timestamp", None)
                args.update(
                    ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                    StartingSequenceNumber=str(self.position),
                )
            try:
                self._iterator = self._context.kinesis.get_shard_iterator(**args)["ShardIterator"]
                return
            except Exception as reopen_err:
                err = reopen_err
        self._liveness.poll_failed(self._source, err)
        self._context.stopping.wait(1.0)
