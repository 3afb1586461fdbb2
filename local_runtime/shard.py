"""One shard of a Kinesis mapping: its reader, its lanes, and Lambda's batch rules.

The reader (GetRecords) feeds ``ParallelizationFactor`` lanes; a record's lane is
chosen by its partition key, so order per key holds. A lane cuts batches (BatchSize,
MaximumBatchingWindowInSeconds, 6 MB, never across a tumbling window), invokes, and on
error retries the same records in order while it waits, bisecting and giving up as
the mapping's settings say. The checkpoint only moves past records that are done.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from local_runtime.checkpoints import Checkpoint
from local_runtime.config import SIX_MB
from local_runtime.destinations import Destination
from local_runtime.events import (
    KinesisEvent,
    KinesisEventRecord,
    iso_millis,
    json_size,
    kinesis_failure_record,
    kinesis_record,
)
from local_runtime.filters import kinesis_filter_view, matches_any
from local_runtime.invoker import Invocation
from local_runtime.responses import WHOLE_BATCH, reported_failures
from local_runtime.target import Liveness, now

if TYPE_CHECKING:
    from local_runtime.kinesis import KinesisMapping

__all__ = ["ShardPoller", "lane_of"]

log = logging.getLogger("local_runtime")

_EVENT_OVERHEAD = 64  # bytes of {"Records":[...]} around the records


def lane_of(partition_key: str, factor: int) -> int:
    """Which of ``factor`` concurrent batches of a shard a partition key belongs to."""
    if factor == 1:
        return 0
    digest = hashlib.md5(partition_key.encode()).digest()
    return int.from_bytes(digest[:8], "big") % factor


def _epoch(value: Any) -> float:
    if isinstance(value, datetime):
        return value.timestamp()
    return float(value)


def _seq(record: KinesisEventRecord) -> int:
    return int(record["kinesis"]["sequenceNumber"])


@dataclass
class _Sub:
    """A run of records invoked together; bisecting makes smaller runs."""

    records: list[KinesisEventRecord]
    retries: int = 0
    invokes: int = 0
    request_id: str = ""
    function_error: str | None = None
    lane: _Lane | None = None


@dataclass
class _Progress:
    """Sequence numbers read from one shard, in order, and which are done."""

    order: deque[int] = field(default_factory=deque)
    done: set[int] = field(default_factory=set)
    checkpoint: int | None = None

    def add(self, seq: int, done: bool) -> None:
        self.order.append(seq)
        if done:
            self.done.add(seq)

    def complete(self, seqs: list[int]) -> bool:
        """Mark ``seqs`` done; True when the checkpoint moved."""
        self.done.update(seqs)
        moved = False
        while self.order and self.order[0] in self.done:
            seq = self.order.popleft()
            self.done.discard(seq)
            self.checkpoint = seq
            moved = True
        return moved

    @property
    def outstanding(self) -> int:
        return len(self.order)


class _Lane:
    """Records of one shard for one of ParallelizationFactor concurrent batches.

    With a tumbling window the lane also carries the window's start and the state the
    function returned last, handed back to it on the next invocation of that window.
    """

    def __init__(self) -> None:
        self.records: deque[KinesisEventRecord] = deque()
        self.sizes: deque[int] = deque()
        self.first_arrival_local: float | None = None
        self.cond = threading.Condition()
        self.window_start: float | None = None
        self.window_state: dict[str, Any] = {}


class ShardPoller:
    """Reads one shard and runs its lanes until stopped or the closed shard is drained."""

    def __init__(self, mapping: KinesisMapping, shard_id: str, ending: str | None) -> None:
        self.mapping = mapping
        self.shard_id = shard_id
        self.ending: str | None = ending
        self.settings = mapping.settings
        self.source = f"kinesis:{mapping.stream_name}/{shard_id}"
        self.liveness = Liveness()
        self.progress = _Progress()
        self.progress_lock = threading.Lock()
        self.lanes = [_Lane() for _ in range(self.settings.parallelization_factor)]
        self.iterator: str | None = None
        self.iterator_age_ms: float | None = None
        self.position: int | None = None
        self.reader_done = False
        self.finished = False
        self._finishing = False
        self._threads: list[threading.Thread] = []
        self._open_args: dict[str, Any] = {}

    # -- start -------------------------------------------------------------------------
    def open(self, checkpoint: Checkpoint | None, trim_horizon: bool) -> None:
        """Get the first iterator now, so records written after start() are never missed."""
        kinesis = self.mapping.kinesis
        args: dict[str, Any] = {"StreamName": self.mapping.stream_name, "ShardId": self.shard_id}
        settings = self.settings
        if checkpoint is not None and checkpoint.sequence_number is not None:
            args.update(
                ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                StartingSequenceNumber=checkpoint.sequence_number,
            )
            self.position = int(checkpoint.sequence_number)
            self.progress.checkpoint = self.position
        elif checkpoint is not None and checkpoint.opened_at is not None:
            args.update(ShardIteratorType="AT_TIMESTAMP", Timestamp=checkpoint.opened_at)
        elif trim_horizon:
            args.update(ShardIteratorType="TRIM_HORIZON")
        elif settings.starting_position == "AT_TIMESTAMP":
            args.update(
                ShardIteratorType="AT_TIMESTAMP", Timestamp=settings.starting_position_timestamp
            )
        elif settings.starting_position == "TRIM_HORIZON":
            args.update(ShardIteratorType="TRIM_HORIZON")
        else:
            opened_at = time.time()
            args.update(ShardIteratorType="LATEST")
            # Remember when LATEST began, so a restart before the first record resumes here.
            self.mapping.store.save(
                self.mapping.lease_key, self.shard_id, Checkpoint(opened_at=opened_at)
            )
        self.iterator = kinesis.get_shard_iterator(**args)["ShardIterator"]
        self._open_args = args
        log.info(
            "%s: %s reads from %s %s",
            self.source,
            self.mapping.target.name,
            args["ShardIteratorType"],
            args.get("StartingSequenceNumber", args.get("Timestamp", "")),
        )

    def start(self) -> None:
        reader = threading.Thread(target=self._guard(self._read), name=f"{self.source}:reader")
        self._threads.append(reader)
        for index, lane in enumerate(self.lanes):
            worker = threading.Thread(
                target=self._guard(functools.partial(self._work, lane)),
                name=f"{self.source}:lane{index}",
            )
            self._threads.append(worker)
        for thread in self._threads:
            thread.daemon = True
            thread.start()

    def join(self, timeout: float) -> None:
        deadline = now() + timeout
        for lane in self.lanes:
            with lane.cond:
                lane.cond.notify_all()
        for thread in self._threads:
            thread.join(max(0.0, deadline - now()))

    def _guard(self, body: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                body()
            except Exception as err:  # surfaced by wait_until_idle, logged here
                if not self.mapping.stopping.is_set():
                    log.exception("%s: poller failed", self.source)
                    self.liveness.error = err

        return run

    # -- reading -----------------------------------------------------------------------
    def _buffered(self) -> int:
        return sum(len(lane.records) for lane in self.lanes)

    def _read(self) -> None:
        stopping = self.mapping.stopping
        settings = self.settings
        cap = max(settings.batch_size * settings.parallelization_factor * 2, 1000)
        while not stopping.is_set():
            if self._buffered() >= cap:
                stopping.wait(self.mapping.poll_interval)
                continue
            started = now()
            try:
                response = self.mapping.kinesis.get_records(
                    ShardIterator=self.iterator, Limit=min(10000, cap - self._buffered())
                )
            except Exception as err:
                self._recover(err)
                continue
            self.liveness.poll_succeeded()
            self.iterator = response.get("NextShardIterator")
            records = response.get("Records", [])
            if records:
                self._accept(records)
                continue
            if self.iterator is None or self._closed_and_read():
                self.reader_done = True
                for lane in self.lanes:
                    with lane.cond:
                        lane.cond.notify_all()
                self._maybe_finish()
                return
            self.liveness.polled_empty(started)
            stopping.wait(self.mapping.poll_interval)

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
            self.iterator = self.mapping.kinesis.get_shard_iterator(**args)["ShardIterator"]
            return
        self.liveness.poll_failed(self.source, err)
        self.mapping.stopping.wait(1.0)

    def _closed_and_read(self) -> bool:
        if self.ending is None:
            return False
        return self.position is None or self.position >= int(self.ending)

    def _accept(self, raw_records: list[dict[str, Any]]) -> None:
        mapping = self.mapping
        patterns = self.settings.filter_patterns
        factor = len(self.lanes)
        routed: list[list[KinesisEventRecord]] = [[] for _ in range(factor)]
        with self.progress_lock:
            for raw in raw_records:
                record = kinesis_record(
                    shard_id=self.shard_id,
                    sequence_number=raw["SequenceNumber"],
                    partition_key=raw["PartitionKey"],
                    data=raw["Data"],
                    arrival=_epoch(raw["ApproximateArrivalTimestamp"]),
                    stream_arn=mapping.stream_arn,
                    region=mapping.region,
                    invoke_identity_arn=mapping.target.role_arn,
                )
                seq = int(raw["SequenceNumber"])
                self.position = seq
                keep = matches_any(patterns, kinesis_filter_view(record["kinesis"]))
                self.progress.add(seq, done=not keep)
                if keep:
                    routed[lane_of(raw["PartitionKey"], factor)].append(record)
            moved = self.progress.complete([])
        if moved:
            self._save_checkpoint()
        for lane, records in zip(self.lanes, routed, strict=True):
            if not records:
                continue
            self.liveness.hold(len(records))
            with lane.cond:
                if not lane.records:
                    lane.first_arrival_local = now()
                for record in records:
                    lane.records.append(record)
                    lane.sizes.append(json_size(record) + 1)
                lane.cond.notify_all()

    # -- batching and invoking -----------------------------------------------------------
    def _next_batch(self, lane: _Lane) -> list[KinesisEventRecord]:
        """A batch when one is due (full, 6 MB, or the batching window passed), else []."""
        size = self.settings.batch_size
        window = self.settings.maximum_batching_window_in_seconds
        with lane.cond:
            if lane.records:
                full = len(lane.records) >= size or sum(lane.sizes) >= SIX_MB
                started = lane.first_arrival_local or now()
                remaining = started + window - now()
                if full or remaining <= 0 or self._crosses_window(lane):
                    return self._cut(lane)
                lane.cond.wait(min(remaining, 0.5))
            elif not self.reader_done:
                lane.cond.wait(0.5)
        return []

    def _window_of(self, record: KinesisEventRecord) -> float:
        width = self.settings.tumbling_window_in_seconds
        arrival = record["kinesis"]["approximateArrivalTimestamp"]
        return float(int(arrival // width) * width)

    def _crosses_window(self, lane: _Lane) -> bool:
        """A tumbling window never shares a batch with the next one."""
        if not self.settings.tumbling_window_in_seconds or not lane.records:
            return False
        first = self._window_of(lane.records[0])
        return self._window_of(lane.records[-1]) != first

    def _cut(self, lane: _Lane) -> list[KinesisEventRecord]:
        batch: list[KinesisEventRecord] = []
        total = _EVENT_OVERHEAD
        tumbling = bool(self.settings.tumbling_window_in_seconds)
        window = self._window_of(lane.records[0]) if tumbling and lane.records else None
        while lane.records and len(batch) < self.settings.batch_size:
            if batch and total + lane.sizes[0] > SIX_MB:
                break
            if window is not None and self._window_of(lane.records[0]) != window:
                break
            total += lane.sizes.popleft()
            batch.append(lane.records.popleft())
        lane.first_arrival_local = now() if lane.records else None
        return batch

    def _work(self, lane: _Lane) -> None:
        stopping = self.mapping.stopping
        tumbling = self.settings.tumbling_window_in_seconds
        while not stopping.is_set():
            if tumbling and lane.window_start is not None:
                closes = lane.window_start + tumbling
                if self.mapping.clock() >= closes and not lane.records:
                    self._close_window(lane)
                    continue
            if self.reader_done and not lane.records:
                if tumbling and lane.window_start is not None:
                    self._close_window(lane, early=True)
                self._maybe_finish()
                return
            batch = self._next_batch(lane)
            if not batch:
                continue
            if tumbling:
                window = self._window_of(batch[0])
                if lane.window_start is not None and window != lane.window_start:
                    self._close_window(lane)
                if lane.window_start is None:
                    lane.window_start, lane.window_state = window, {}
            self._process(batch, lane)

    def _window_fields(self, lane: _Lane, final: bool, early: bool = False) -> dict[str, Any]:
        start = lane.window_start or 0.0
        return {
            "window": {
                "start": iso_millis(start),
                "end": iso_millis(start + self.settings.tumbling_window_in_seconds),
            },
            "state": dict(lane.window_state),
            "shardId": self.shard_id,
            "eventSourceARN": self.mapping.stream_arn,
            "isFinalInvokeForWindow": final,
            "isWindowTerminatedEarly": early,
        }

    def _close_window(self, lane: _Lane, early: bool = False) -> None:
        """The final invoke of a window: no records, the state so far, flagged final."""
        attempts = 0
        while not self.mapping.stopping.is_set():
            event = {"Records": [], **self._window_fields(lane, final=True, early=early)}
            invocation = self.mapping.target.invoke(self.source, event)
            limit = self.settings.maximum_retry_attempts
            if invocation.ok or (limit != -1 and attempts >= limit):
                break
            attempts += 1
            self.mapping.stopping.wait(self.mapping.retry_delay(attempts))
        lane.window_start, lane.window_state = None, {}

    def _process(self, batch: list[KinesisEventRecord], lane: _Lane | None = None) -> None:
        """Invoke until every record of ``batch`` is done; the lane waits meanwhile."""
        settings = self.settings
        stopping = self.mapping.stopping
        queue: deque[_Sub] = deque([_Sub(batch, lane=lane)])
        while queue:
            sub = queue.popleft()
            if settings.maximum_record_age_in_seconds != -1:
                expired = self._expired_prefix(sub.records)
                if expired:
                    self._give_up(sub, expired, "RecordAgeExceeded")
                    sub.records = sub.records[len(expired) :]
                    if not sub.records:
                        continue
            failed_at = self._invoke(sub)
            if failed_at is None:
                self._done(sub.records)
                continue
            self._done(sub.records[:failed_at])
            remaining = sub.records[failed_at:]
            if stopping.is_set():
                self.liveness.release(len(remaining))
                return  # abandoned: the checkpoint stays before it, as after a crash
            if settings.bisect_batch_on_function_error and len(remaining) > 1:
                half = len(remaining) // 2
                queue.appendleft(_Sub(remaining[half:], retries=sub.retries, lane=lane))
                queue.appendleft(_Sub(remaining[:half], retries=sub.retries, lane=lane))
                continue
            attempts = settings.maximum_retry_attempts
            if attempts != -1 and sub.retries >= attempts:
                self._give_up(sub, remaining, "RetryAttemptsExhausted")
                continue
            if failed_at > 0:  # a partial failure: the rest is a new run of records
                sub = _Sub(remaining, retries=sub.retries, invokes=sub.invokes, lane=lane)
            sub.retries += 1
            stopping.wait(self.mapping.retry_delay(sub.retries))
            queue.appendleft(sub)

    def _expired_prefix(self, records: list[KinesisEventRecord]) -> list[KinesisEventRecord]:
        limit = self.mapping.clock() - self.settings.maximum_record_age_in_seconds
        expired = []
        for record in records:
            if record["kinesis"]["approximateArrivalTimestamp"] >= limit:
                break
            expired.append(record)
        return expired

    def _invoke(self, sub: _Sub) -> int | None:
        """Invoke once; None on success, else the index of the first record to retry."""
        event: KinesisEvent = {"Records": list(sub.records)}
        tumbling = self.settings.tumbling_window_in_seconds and sub.lane is not None
        if tumbling and sub.lane is not None:
            event.update(self._window_fields(sub.lane, final=False))  # type: ignore[typeddict-item]
        handed_over = self.mapping.clock()
        last_arrival = sub.records[-1]["kinesis"]["approximateArrivalTimestamp"]
        self.iterator_age_ms = max(0.0, (handed_over - last_arrival) * 1000)
        verdict: dict[str, int | None] = {}

        def outcome(invocation: Invocation) -> str:
            verdict["failed_at"] = self._failed_at(sub.records, invocation)
            failed = verdict["failed_at"]
            if failed is None:
                return "ok"
            return "error" if not invocation.ok else f"partial(failed_from={failed})"

        invocation = self.mapping.target.invoke(self.source, event, outcome)
        if tumbling and sub.lane is not None and invocation.ok:
            state = (
                invocation.response.get("state") if isinstance(invocation.response, dict) else None
            )
            if isinstance(state, dict):
                sub.lane.window_state = state
        sub.invokes += 1
        sub.request_id = invocation.request_id
        sub.function_error = None if invocation.ok else "Unhandled"
        return verdict["failed_at"]

    def _failed_at(self, records: list[KinesisEventRecord], invocation: Invocation) -> int | None:
        if not invocation.ok:
            return 0
        if not self.settings.report_batch_item_failures:
            return None
        index = {r["kinesis"]["sequenceNumber"]: i for i, r in enumerate(records)}
        reported = reported_failures(invocation.response, index)
        if reported is WHOLE_BATCH:
            return 0
        # the lowest reported record becomes the checkpoint: retry from it
        return min(index[ident] for ident in reported) if reported else None

    def _give_up(self, sub: _Sub, records: list[KinesisEventRecord], condition: str) -> None:
        destination: Destination | None = self.mapping.destination
        if destination is not None:
            record = kinesis_failure_record(
                request_id=sub.request_id or str(uuid.uuid4()),  # never invoked: a fresh id
                function_arn=self.mapping.target.identity.function_arn,
                condition=condition,
                invoke_count=sub.invokes,
                function_error=sub.function_error,
                records=records,
                shard_id=self.shard_id,
                stream_arn=self.mapping.stream_arn,
                now=self.mapping.clock(),
            )
            destination.send(record)
        log.warning(
            "%s %s: %s, records %s..%s (%d) %s",
            self.mapping.target.name,
            self.source,
            condition,
            records[0]["kinesis"]["sequenceNumber"],
            records[-1]["kinesis"]["sequenceNumber"],
            len(records),
            f"sent to {destination.arn}" if destination else "dropped (no destination)",
        )
        self._done(records)

    def _done(self, records: list[KinesisEventRecord]) -> None:
        if not records:
            return
        with self.progress_lock:
            moved = self.progress.complete([_seq(r) for r in records])
        if moved:
            self._save_checkpoint()
        self.liveness.release(len(records))

    def _save_checkpoint(self) -> None:
        with self.progress_lock:
            checkpoint = self.progress.checkpoint
        if checkpoint is not None:
            self.mapping.store.save(
                self.mapping.lease_key, self.shard_id, Checkpoint(sequence_number=str(checkpoint))
            )

    def _maybe_finish(self) -> None:
        with self.progress_lock:
            if self._finishing or not self.reader_done or self.progress.outstanding:
                return
            if any(lane.records for lane in self.lanes) or self.liveness.held:
                return
            if any(lane.window_start is not None for lane in self.lanes):
                return
            self._finishing = True
            checkpoint = self.progress.checkpoint
        self.mapping.store.save(
            self.mapping.lease_key,
            self.shard_id,
            Checkpoint(
                sequence_number=None if checkpoint is None else str(checkpoint), shard_end=True
            ),
        )
        log.info("%s: shard drained (SHARD_END)", self.source)
        self.mapping.shard_finished(self.shard_id)  # children start before we report idle
        self.finished = True

    def idle_since(self, since: float) -> bool:
        if self.finished:
            return True
        if self.reader_done:
            return self.liveness.held == 0
        return self.liveness.idle_since(since)

    def status(self) -> str:
        age = "-" if self.iterator_age_ms is None else f"{self.iterator_age_ms:.0f}ms"
        with self.progress_lock:
            checkpoint = self.progress.checkpoint
        state = "drained" if self.finished else "reading"
        return (
            f"{self.mapping.target.name} {self.source} IteratorAge={age} "
            f"checkpoint={checkpoint if checkpoint is not None else '-'} {state}"
        )
