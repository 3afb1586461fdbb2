"""Batching one shard: ParallelizationFactor lanes, and when a lane's batch is due.

A record's lane is chosen by its partition key, so order per key holds. A lane cuts a
batch when it is full (BatchSize), would pass 6 MB, its batching window has passed,
or the next record belongs to the next tumbling window (a batch never spans two).
"""

from __future__ import annotations

import hashlib
import threading
from collections import deque

from local_runtime.config import SIX_MB, KinesisSettings
from local_runtime.events import KinesisEventRecord, json_size
from local_runtime.target import now

__all__ = ["Lane", "lane_of", "window_of"]

_EVENT_OVERHEAD = 64  # bytes of {"Records":[...]} around the records


def lane_of(partition_key: str, factor: int) -> int:
    """Which of ``factor`` concurrent batches of a shard a partition key belongs to."""
    if factor == 1:
        return 0
    digest = hashlib.md5(partition_key.encode()).digest()
    return int.from_bytes(digest[:8], "big") % factor


def window_of(record: KinesisEventRecord, width: int) -> float:
    """Start of the tumbling window (aligned on the epoch) a record arrived in."""
    arrival = record["kinesis"]["approximateArrivalTimestamp"]
    return float(int(arrival // width) * width)


class Lane:
    """Records of one shard waiting for one of its ParallelizationFactor batches."""

    def __init__(self, settings: KinesisSettings) -> None:
        self._settings = settings
        self._records: deque[KinesisEventRecord] = deque()
        self._sizes: deque[int] = deque()
        self._bytes = 0  # sum of _sizes, kept so a due check is O(1)
        self._first_arrival: float | None = None
        self.cond = threading.Condition()

    def __len__(self) -> int:
        return len(self._records)

    def put(self, records: list[KinesisEventRecord]) -> None:
        with self.cond:
            if not self._records:
                self._first_arrival = now()
            for record in records:
                size = json_size(record) + 1
                self._records.append(record)
                self._sizes.append(size)
                self._bytes += size
            self.cond.notify_all()

    def wake(self) -> None:
        with self.cond:
            self.cond.notify_all()

    def next_batch(self, more_coming: bool) -> list[KinesisEventRecord]:
        """A batch when one is due, else [] after waiting a little for more records."""
        window = self._settings.maximum_batching_window_in_seconds
        with self.cond:
            if self._records:
                full = len(self._records) >= self._settings.batch_size or self._bytes >= SIX_MB
                remaining = (self._first_arrival or now()) + window - now()
                if full or remaining <= 0 or self._crosses_window():
                    return self._cut()
                self.cond.wait(min(remaining, 0.5))
            elif more_coming:
                self.cond.wait(0.5)
        return []

    def _crosses_window(self) -> bool:
        width = self._settings.tumbling_window_in_seconds
        if not width:
            return False
        return window_of(self._records[0], width) != window_of(self._records[-1], width)

    def _cut(self) -> list[KinesisEventRecord]:
        batch: list[KinesisEventRecord] = []
        total = _EVENT_OVERHEAD
        width = self._settings.tumbling_window_in_seconds
        window = window_of(self._records[0], width) if width else None
        while self._records and len(batch) < self._settings.batch_size:
            if batch and total + self._sizes[0] > SIX_MB:
                break
            if window is not None and window_of(self._records[0], width) != window:
                break
            size = self._sizes.popleft()
            total += size
            self._bytes -= size
            batch.append(self._records.popleft())
        self._first_arrival = now() if self._records else None
        return batch
