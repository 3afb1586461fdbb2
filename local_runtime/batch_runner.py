"""Invoking one Kinesis batch until every record is done, with Lambda's failure rules.

- MaximumRecordAgeInSeconds: before each invocation, records older than that are given
  up (``RecordAgeExceeded``).
- A function error (or a response that fails the whole batch): with
  BisectBatchOnFunctionError a batch of 2+ records is split in two halves, each run in
  order, and splits do not count as retries; otherwise the batch is retried in order
  until MaximumRetryAttempts runs out (``RetryAttemptsExhausted``).
- A partial success under ReportBatchItemFailures: the records before the lowest
  reported one are done, the rest is retried as one run, bisect or not ("the batch is
  bisected at the returned sequence number and Lambda retries only the remaining
  records").
- Given-up records go to the on-failure destination; that send is retried until it
  succeeds, so nothing given up is lost while the destination is unreachable.
"""

from __future__ import annotations

import logging
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from local_runtime.events import KinesisEvent, KinesisEventRecord, kinesis_failure_record
from local_runtime.invoker import Invocation
from local_runtime.responses import WHOLE_BATCH, reported_failures
from local_runtime.retrying import StuckReasons
from local_runtime.shard_context import ShardContext
from local_runtime.tumbling import TumblingWindow, has_state

__all__ = ["BatchRunner", "Verdict"]

log = logging.getLogger("local_runtime")

Records = list[KinesisEventRecord]


@dataclass(frozen=True)
class Verdict:
    """How one invocation went: ``retry_from`` is None on success."""

    retry_from: int | None
    partial: bool = False  # a valid batchItemFailures list, not a failed invocation


@dataclass
class _Run:
    """A run of records invoked together; bisecting makes smaller runs."""

    records: Records
    retries: int = 0
    invokes: int = 0
    request_id: str = ""
    function_error: str | None = None


class BatchRunner:
    """Runs batches of one shard lane; ``done`` is told of every record handled or given up."""

    def __init__(
        self,
        context: ShardContext,
        shard_id: str,
        source: str,
        stuck: StuckReasons,
        done: Callable[[Records], None],
    ) -> None:
        self._context = context
        self._settings = context.settings
        self._shard_id = shard_id
        self._source = source
        self._stuck = stuck
        self._done = done
        self.iterator_age_ms: float | None = None

    def run(self, batch: Records, window: TumblingWindow | None = None) -> Records:
        """Invoke until every record is done; returns the records abandoned at stop."""
        stopping = self._context.stopping
        queue: deque[_Run] = deque([_Run(batch)])
        while queue:
            run = queue.popleft()
            if not self._drop_expired(run):
                continue
            verdict = self._invoke(run, window)
            if verdict.retry_from is None:
                self._done(run.records)
                continue
            self._done(run.records[: verdict.retry_from])
            rest = run.records[verdict.retry_from :]
            if stopping.is_set():
                return rest  # abandoned: the checkpoint stays before it, as after a crash
            bisect = self._settings.bisect_batch_on_function_error and not verdict.partial
            if bisect and len(rest) > 1:
                half = len(rest) // 2
                queue.appendleft(_Run(rest[half:], retries=run.retries))
                queue.appendleft(_Run(rest[:half], retries=run.retries))
                continue
            limit = self._settings.maximum_retry_attempts
            if limit != -1 and run.retries >= limit:
                self._give_up(run, rest, "RetryAttemptsExhausted")
                continue
            if verdict.retry_from > 0:  # a partial failure: the rest is a new run of records
                run = _Run(rest, retries=run.retries, invokes=run.invokes)
            run.retries += 1
            if stopping.wait(self._context.retry_delay(run.retries)):
                return run.records
            queue.appendleft(run)
        return []

    def _drop_expired(self, run: _Run) -> bool:
        """Give up the records past MaximumRecordAgeInSeconds; False when none is left."""
        max_age = self._settings.maximum_record_age_in_seconds
        if max_age == -1:
            return True
        oldest_allowed = self._context.clock() - max_age
        count = 0
        for record in run.records:
            if record["kinesis"]["approximateArrivalTimestamp"] >= oldest_allowed:
                break
            count += 1
        if count:
            self._give_up(run, run.records[:count], "RecordAgeExceeded")
            run.records = run.records[count:]
        return bool(run.records)

    def _invoke(self, run: _Run, window: TumblingWindow | None) -> Verdict:
        event: KinesisEvent = {"Records": list(run.records)}
        if window is not None:
            event.update(window.fields(final=False))  # type: ignore[typeddict-item]
        last_arrival = run.records[-1]["kinesis"]["approximateArrivalTimestamp"]
        self.iterator_age_ms = max(0.0, (self._context.clock() - last_arrival) * 1000)
        verdicts: list[Verdict] = []

        def outcome(invocation: Invocation) -> str:
            verdict = self._verdict(run.records, invocation, window)
            verdicts.append(verdict)
            if verdict.retry_from is None:
                return "ok"
            if verdict.partial:
                return f"partial(failed_from={verdict.retry_from})"
            return "error" if not invocation.ok else "failed(whole batch)"

        invocation = self._context.target.invoke(self._source, event, outcome)
        run.invokes += 1
        run.request_id = invocation.request_id
        run.function_error = None if invocation.ok else "Unhandled"
        verdict = verdicts[0]
        if window is not None and (verdict.retry_from is None or verdict.partial):
            window.absorb(invocation.response)  # a failed invocation's state is not kept
        return verdict

    def _verdict(
        self, records: Records, invocation: Invocation, window: TumblingWindow | None
    ) -> Verdict:
        if not invocation.ok:
            return Verdict(0)
        if window is not None and not has_state(invocation.response):
            return Verdict(0)  # "If the response does not contain a state property ... failed"
        if not self._settings.report_batch_item_failures:
            return Verdict(None)
        index = {r["kinesis"]["sequenceNumber"]: i for i, r in enumerate(records)}
        reported = reported_failures(invocation.response, index)
        if reported is WHOLE_BATCH:
            return Verdict(0)
        if not reported:
            return Verdict(None)
        # the lowest reported record becomes the checkpoint: retry from it
        return Verdict(min(index[ident] for ident in reported), partial=True)

    def _give_up(self, run: _Run, records: Records, condition: str) -> None:
        context = self._context
        destination = context.destination
        if destination is not None:
            record = kinesis_failure_record(
                request_id=run.request_id or str(uuid.uuid4()),  # never invoked: a fresh id
                function_arn=context.target.identity.function_arn,
                condition=condition,
                invoke_count=run.invokes,
                function_error=run.function_error,
                records=records,
                shard_id=self._shard_id,
                stream_arn=context.stream_arn,
                now=context.clock(),
            )
            context.persist(
                f"on-failure record to {destination.arn}",
                lambda: destination.send(record),
                self._source,
                self._stuck,
            )
        log.warning(
            "%s %s: %s, records %s..%s (%d) %s",
            context.target.name,
            self._source,
            condition,
            records[0]["kinesis"]["sequenceNumber"],
            records[-1]["kinesis"]["sequenceNumber"],
            len(records),
            f"sent to {destination.arn}" if destination else "dropped (no destination)",
        )
        self._done(records)
