"""The one batch processor: every record of every source goes through here.

A handler declares ``StreamProcessor(name, handle, policy)`` next to its decorator and
returns ``processor.process(event.to_dict())``; the policy decides what a failure does.
Per record, that record's correlation ids are in force, and the loop guard runs first.
A processor given a ``contract`` checks each payload with it before the handler sees
it (the stream's event schemas, ``chalicelib.contract``); a re-run parked record goes
through the same check (``run``).

A KPL aggregate is processed one user record at a time: each is checked, retried,
parked or dead-lettered on its own. Lambda's ``batchItemFailures`` can only name the
Kinesis record, so under ``halt`` and ``report_item_failures`` one failed user record
retries its whole aggregate (the handlers are idempotent: a repeat changes nothing).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)

from ..domain.errors import InvalidInput, PermanentFailure
from ..observability import metrics
from ..observability.correlation import CallChainTooLong, bind, check_call_chain
from ..observability.logging import logger
from ..observability.metrics import BATCH_SIZE, FAILURES_BY_POLICY, ITERATOR_AGE, count
from .invocation import Unfinished, bound_arrival, bound_context
from .parking import FailedRecord, FailureSink
from .policies import FailurePolicy, PolicyName
from .records import IncomingRecord, event_records, iterator_age_ms

__all__ = ["PERMANENT_ERRORS", "StreamProcessor", "processors"]

# Errors no retry can fix: bad data, a record caught in a publish loop, a request a
# service refuses for good (an SNS entry failed with SenderFault, say).
PERMANENT_ERRORS: tuple[type[Exception], ...] = (InvalidInput, CallChainTooLong, PermanentFailure)

processors: dict[str, StreamProcessor] = {}
"""Every processor by name, so the retry worker can re-run the handler a record came from."""

_POWERTOOLS_TYPES = {"aws:kinesis": EventType.KinesisDataStreams, "aws:sqs": EventType.SQS}


class StreamProcessor:
    def __init__(
        self,
        name: str,
        handle: Callable[[Any], Any],
        policy: FailurePolicy,
        sink: Callable[[], FailureSink] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        attempts: Callable[[], int] | None = None,
        contract: Callable[[Any], Any] | None = None,
    ) -> None:
        """``attempts``, if given, is asked per record and overrides ``policy.attempts``:
        a setting that may change while the container lives (the config service's).
        ``contract``, if given, checks a payload and returns the event to handle; it
        raises ``InvalidInput`` for a payload that breaks the contract."""
        if policy.name in (PolicyName.SKIP, PolicyName.RETRY_THEN_PARK) and sink is None:
            raise ValueError(f"policy {policy.name.value} needs a failure sink")
        self.name = name
        self.handle = handle
        self.policy = policy
        self._sink = sink
        self._sleep = sleep
        self._clock = clock
        self._attempts = attempts
        self._contract = contract
        processors[name] = self

    def run(self, payload: Any) -> None:
        """The handler on one payload, checked by the contract first (if any)."""
        self.handle(payload if self._contract is None else self._contract(payload))

    def process(self, event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
        """Process a Lambda event; the return value is Lambda's partial batch response."""
        with bound_context(context):
            return self._process(event, context)

    def _process(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        records = event_records(event)
        count(BATCH_SIZE, len(records), function=self.name)
        age = iterator_age_ms(event, self._clock())
        if age is not None:
            metrics.record(ITERATOR_AGE, age, "Milliseconds", function=self.name)
        policy = self.policy.name
        if policy is PolicyName.REPORT_ITEM_FAILURES and records:
            event_type = _POWERTOOLS_TYPES.get(records[0].source)
            if event_type is not None:
                return dict(self._report_item_failures(event, event_type, context))
        for record in records:
            if policy in (PolicyName.HALT, PolicyName.REPORT_ITEM_FAILURES):
                # SNS has no partial responses: report_item_failures fails the invocation there
                self._run_or_raise(record)
            else:
                self._run_or_divert(record)
        return {"batchItemFailures": []}

    def _report_item_failures(
        self, event: Mapping[str, Any], event_type: EventType, context: Any
    ) -> Mapping[str, Any]:
        def record_handler(record: Any) -> None:
            for incoming in event_records({"Records": [record.raw_event]}):
                self._run_or_raise(incoming)  # a failed user record fails its aggregate

        processor = BatchProcessor(event_type=event_type, raise_on_entire_batch_failure=False)
        return process_partial_response(dict(event), record_handler, processor, context)

    def _run_once(self, record: IncomingRecord) -> None:
        check_call_chain(record.correlation)
        with bound_arrival(record.arrival):
            self.run(record.payload())

    def _run_or_raise(self, record: IncomingRecord) -> None:
        with bind(record.correlation):
            try:
                self._run_once(record)
            except Unfinished as err:
                if self._sink is None:
                    self._log_failure(record, err, 1, "failed")
                    raise
                self._park_rest(record, err, 1, self._clock())
            except Exception as err:
                self._log_failure(record, err, 1, "failed")
                raise

    def _run_or_divert(self, record: IncomingRecord) -> None:
        """Run with in-process retries; on final failure park or dead-letter. Never raises
        for a record's own failure (only if the sink itself cannot be reached)."""
        with bind(record.correlation):
            first_failure: datetime | None = None
            attempts = self._attempts() if self._attempts is not None else self.policy.attempts
            for attempt in range(1, attempts + 1):
                try:
                    self._run_once(record)
                    return
                except Unfinished as err:
                    # out of time, not failed: the rest goes on at once, no retry in here
                    self._park_rest(record, err, attempt, first_failure or self._clock())
                    return
                except PERMANENT_ERRORS as err:
                    first_failure = first_failure or self._clock()
                    self._divert(record, err, attempt, first_failure, permanent=True)
                    return
                except Exception as err:
                    first_failure = first_failure or self._clock()
                    if attempt == attempts:
                        self._divert(record, err, attempt, first_failure, permanent=False)
                        return
                    self._log_failure(record, err, attempt, "retrying")
                    self._sleep(self.policy.delay(attempt))

    def _divert(
        self,
        record: IncomingRecord,
        err: Exception,
        attempts: int,
        first_failure: datetime,
        permanent: bool,
    ) -> None:
        park = self.policy.name is PolicyName.RETRY_THEN_PARK and not permanent
        outcome = "parked" if park else "dead_lettered"
        self._log_failure(record, err, attempts, outcome)
        failed = self._failed_record(record, err, attempts, first_failure)
        assert self._sink is not None
        sink = self._sink()
        if park:
            sink.park(failed, record.correlation)
        else:
            sink.dead_letter(failed, record.correlation)

    def _park_rest(
        self, record: IncomingRecord, err: Unfinished, attempts: int, first_failure: datetime
    ) -> None:
        """Park the part of a record its handler did not do, under every policy: it is
        work still to do, not a failure. It names the handler that can finish it."""
        self._log_failure(record, err, attempts, "parked")
        failed = self._failed_record(record, err, attempts, first_failure)
        failed["payload"], failed["text"] = err.rest, None
        failed["handler"] = err.handler or self.name
        assert self._sink is not None
        self._sink().park(failed, record.correlation)

    def _failed_record(
        self, record: IncomingRecord, err: Exception, attempts: int, first_failure: datetime
    ) -> FailedRecord:
        try:
            payload, text = record.payload(), None
        except InvalidInput:
            payload, text = None, record.text
        return FailedRecord(
            handler=self.name,
            policy=self.policy.name.value,
            payload=payload,
            text=text,
            error={"type": type(err).__name__, "message": str(err)},
            attempts=attempts,
            first_failure_at=first_failure.isoformat(timespec="milliseconds").replace(
                "+00:00", "Z"
            ),
            origin=record.origin,
        )

    def _log_failure(
        self, record: IncomingRecord, err: Exception, attempt: int, outcome: str
    ) -> None:
        where: dict[str, Any] = {"record_id": record.identifier}
        if record.sub_sequence is not None:
            where["sub_sequence"] = record.sub_sequence
        logger.warning(
            f"{self.name}: record {record.label} {outcome} after attempt {attempt}: {err}",
            **where,
            policy=self.policy.name.value,
            outcome=outcome,
            error_type=type(err).__name__,
        )
        if outcome != "retrying":
            count(
                FAILURES_BY_POLICY,
                function=self.name,
                policy=self.policy.name.value,
                outcome=outcome,
            )
