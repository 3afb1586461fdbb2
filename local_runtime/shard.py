"""One shard of a Kinesis mapping: a reader thread feeding ParallelizationFactor lanes.

The parts, each in its own module: ``ShardReader`` (GetRecords and the shard's end),
``Lane`` (when a batch is due), ``BatchRunner`` (invoking with the failure rules),
``TumblingWindow`` (window state and final invokes), ``ShardProgress`` (checkpoints).
This class only starts the threads, routes records to lanes and reports status.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from local_runtime.batch_runner import BatchRunner, Records
from local_runtime.checkpoints import Checkpoint
from local_runtime.events import kinesis_record
from local_runtime.filters import kinesis_filter_view, matches_any
from local_runtime.retrying import Stopped, StuckReasons
from local_runtime.shard_context import ShardContext
from local_runtime.shard_lanes import Lane, lane_of, window_of
from local_runtime.shard_progress import ShardProgress
from local_runtime.shard_reader import ShardReader
from local_runtime.target import Liveness, now
from local_runtime.tumbling import TumblingWindow

__all__ = ["ShardPoller"]

log = logging.getLogger("local_runtime")


def _epoch(value: Any) -> float:
    return value.timestamp() if isinstance(value, datetime) else float(value)


def _seq(record: Any) -> int:
    return int(record["kinesis"]["sequenceNumber"])


class ShardPoller:
    """Reads one shard and runs its lanes until stopped or the closed shard is drained."""

    def __init__(self, context: ShardContext, shard_id: str, ending: str | None) -> None:
        self.context = context
        self.shard_id = shard_id
        self.source = f"kinesis:{context.stream_name}/{shard_id}"
        self.liveness = Liveness()
        self.stuck = StuckReasons()
        self.progress = ShardProgress(context, shard_id, self.source, self.stuck)
        self.reader = ShardReader(context, shard_id, self.source, self.liveness, ending)
        factor = context.settings.parallelization_factor
        self.lanes = [Lane(context.settings) for _ in range(factor)]
        self.windows = [TumblingWindow(context, shard_id, self.source) for _ in range(factor)]
        self.runners = [
            BatchRunner(context, shard_id, self.source, self.stuck, self._done)
            for _ in range(factor)
        ]
        self.reader_done = False
        self.finished = False
        self._finish_lock = threading.Lock()
        self._finishing = False
        self._threads: list[threading.Thread] = []

    @property
    def ending(self) -> str | None:
        return self.reader.ending

    @ending.setter
    def ending(self, value: str | None) -> None:
        self.reader.ending = value

    @property
    def iterator_age_ms(self) -> float | None:
        ages = [r.iterator_age_ms for r in self.runners if r.iterator_age_ms is not None]
        return max(ages) if ages else None

    # -- threads -----------------------------------------------------------------------
    def open(self, checkpoint: Checkpoint | None, trim_horizon: bool) -> None:
        self.reader.open(checkpoint, trim_horizon)
        if self.reader.position is not None:
            self.progress.resume_after(self.reader.position)

    def start(self) -> None:
        bodies: list[tuple[str, Callable[[], None]]] = [("reader", self._read)]
        for index in range(len(self.lanes)):
            bodies.append((f"lane{index}", functools.partial(self._work, index)))
        for name, body in bodies:
            thread = threading.Thread(
                target=self._guard(body), name=f"{self.source}:{name}", daemon=True
            )
            self._threads.append(thread)
            thread.start()

    def join(self, timeout: float) -> None:
        deadline = now() + timeout
        for lane in self.lanes:
            lane.wake()
        for thread in self._threads:
            thread.join(max(0.0, deadline - now()))

    def _guard(self, body: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                body()
            except Stopped:
                return
            except Exception as err:  # surfaced by wait_until_idle, logged here
                if not self.context.stopping.is_set():
                    log.exception("%s: poller failed", self.source)
                    self.liveness.error = err

        return run

    # -- reading and routing -----------------------------------------------------------
    def _room(self) -> int:
        settings = self.context.settings
        cap = max(settings.batch_size * settings.parallelization_factor * 2, 1000)
        return cap - sum(len(lane) for lane in self.lanes)

    def _read(self) -> None:
        self.reader.run(self._accept, self._room)
        if self.context.stopping.is_set():
            return
        self.reader_done = True
        for lane in self.lanes:
            lane.wake()
        self._maybe_finish()

    def _accept(self, raw_records: list[dict[str, Any]]) -> None:
        context = self.context
        patterns = context.settings.filter_patterns
        factor = len(self.lanes)
        routed: list[Records] = [[] for _ in range(factor)]
        read: list[tuple[int, bool]] = []
        for raw in raw_records:
            record = kinesis_record(
                shard_id=self.shard_id,
                sequence_number=raw["SequenceNumber"],
                partition_key=raw["PartitionKey"],
                data=raw["Data"],
                arrival=_epoch(raw["ApproximateArrivalTimestamp"]),
                stream_arn=context.stream_arn,
                region=context.region,
                invoke_identity_arn=context.target.role_arn,
            )
            keep = matches_any(patterns, kinesis_filter_view(record["kinesis"]))
            read.append((int(raw["SequenceNumber"]), not keep))
            if keep:
                routed[lane_of(raw["PartitionKey"], factor)].append(record)
        self.progress.read(read)
        for lane, records in zip(self.lanes, routed, strict=True):
            if records:
                self.liveness.hold(len(records))
                lane.put(records)

    # -- one lane ----------------------------------------------------------------------
    def _work(self, index: int) -> None:
        lane, window, runner = self.lanes[index], self.windows[index], self.runners[index]
        stopping = self.context.stopping
        while not stopping.is_set():
            if window.ended() and not len(lane):
                window.close()
                continue
            if self.reader_done and not len(lane):
                if window.open:  # "When the shard ends, Lambda considers the window closed"
                    window.close(early=True)
                self._maybe_finish()
                return
            batch = lane.next_batch(more_coming=not self.reader_done)
            if not batch:
                continue
            if window.width:
                window.enter(window_of(batch[0], window.width))
            abandoned = runner.run(batch, window if window.width else None)
            if abandoned:
                self.liveness.release(len(abandoned))

    def _done(self, records: Records) -> None:
        if records:
            self.progress.complete([_seq(r) for r in records])
            self.liveness.release(len(records))

    def _maybe_finish(self) -> None:
        with self._finish_lock:
            if self._finishing or not self.reader_done or self.progress.outstanding:
                return
            if any(len(lane) for lane in self.lanes) or self.liveness.held:
                return
            if any(window.open for window in self.windows):
                return
            self._finishing = True
        self.progress.save(shard_end=True)
        log.info("%s: shard drained (SHARD_END)", self.source)
        self.context.shard_ended(self.shard_id)  # children start before we report idle
        self.finished = True

    # -- observing ---------------------------------------------------------------------
    def idle_since(self, since: float) -> bool:
        if self.finished:
            return True
        if self.stuck.describe() is not None:
            return False
        if self.reader_done:
            return self.liveness.held == 0
        return self.liveness.idle_since(since)

    def status(self) -> str:
        age = self.iterator_age_ms
        checkpoint = self.progress.checkpoint
        state = "drained" if self.finished else (self.stuck.describe() or "reading")
        return (
            f"{self.context.target.name} {self.source} "
            f"IteratorAge={'-' if age is None else f'{age:.0f}ms'} "
            f"checkpoint={checkpoint if checkpoint is not None else '-'} {state}"
        )
