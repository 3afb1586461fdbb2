"""Checkpointing one shard: which records are done, and the lease-table writes.

Records are done out of order when ParallelizationFactor runs several lanes, so the
checkpoint only passes a record once it and every record before it are done. The
write itself is conditional (see ``CheckpointStore.save``), so a slower thread can
never move the stored checkpoint backwards, and it is retried until it succeeds.
"""

from __future__ import annotations

import logging
import threading
from collections import deque

from local_runtime.checkpoints import Checkpoint
from local_runtime.retrying import StuckReasons
from local_runtime.shard_context import ShardContext

__all__ = ["ShardProgress"]

log = logging.getLogger("local_runtime")


class ShardProgress:
    """Sequence numbers read from one shard, in order, which are done, and the checkpoint."""

    def __init__(
        self, context: ShardContext, shard_id: str, source: str, stuck: StuckReasons
    ) -> None:
        self._context = context
        self._shard_id = shard_id
        self._source = source
        self._stuck = stuck
        self._lock = threading.Lock()
        self._order: deque[int] = deque()
        self._done: set[int] = set()
        self._checkpoint: int | None = None

    @property
    def checkpoint(self) -> int | None:
        with self._lock:
            return self._checkpoint

    @property
    def outstanding(self) -> int:
        with self._lock:
            return len(self._order)

    def resume_after(self, sequence_number: int) -> None:
        with self._lock:
            self._checkpoint = sequence_number

    def read(self, sequence_numbers: list[tuple[int, bool]]) -> None:
        """Records read, in shard order, each with whether it is already done (filtered)."""
        with self._lock:
            for seq, done in sequence_numbers:
                self._order.append(seq)
                if done:
                    self._done.add(seq)
            moved = self._advance()
        if moved:
            self.save()

    def complete(self, sequence_numbers: list[int]) -> None:
        """Mark records done (handled or given up); write the checkpoint if it moved."""
        with self._lock:
            self._done.update(sequence_numbers)
            moved = self._advance()
        if moved:
            self.save()

    def _advance(self) -> bool:
        moved = False
        while self._order and self._order[0] in self._done:
            seq = self._order.popleft()
            self._done.discard(seq)
            self._checkpoint = seq
            moved = True
        return moved

    def save(self, shard_end: bool = False) -> None:
        """Write the current checkpoint; retried until written, never moved backwards."""
        checkpoint = self.checkpoint
        if checkpoint is None and not shard_end:
            return
        record = Checkpoint(
            sequence_number=None if checkpoint is None else str(checkpoint), shard_end=shard_end
        )
        context = self._context
        written = context.persist(
            "checkpoint write",
            lambda: context.store.save(context.lease_key, self._shard_id, record),
            self._source,
            self._stuck,
        )
        if not written:
            log.debug("%s: checkpoint %s not written: a later one is stored", self._source, record)
