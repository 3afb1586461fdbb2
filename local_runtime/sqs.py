"""SQS event source mappings (``on_sqs_message``): poll, batch, invoke, delete on success.

A failed message is simply not deleted: it comes back when the queue's visibility
timeout ends, and the queue's own redrive policy moves it to its dead-letter queue,
exactly as with Lambda, which never changes either.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from local_runtime.config import ConfigError, SqsSettings
from local_runtime.events import SqsEvent, SqsEventRecord, sqs_record
from local_runtime.filters import matches_any, sqs_filter_view
from local_runtime.invoker import Invocation
from local_runtime.responses import WHOLE_BATCH, reported_failures
from local_runtime.target import FunctionTarget, Liveness, empty_through, now

__all__ = ["SqsMapping", "queue_url_and_arn", "split_by"]

log = logging.getLogger("local_runtime")


def queue_url_and_arn(sqs: Any, name: str | None, arn: str | None) -> tuple[str, str]:
    """The queue's URL and ARN from whichever of the two the decorator gave."""
    kwargs: dict[str, str] = {}
    if arn:
        parts = arn.split(":")
        kwargs = {"QueueName": parts[5], "QueueOwnerAWSAccountId": parts[4]}
    else:
        kwargs = {"QueueName": str(name)}
    url = sqs.get_queue_url(**kwargs)["QueueUrl"]
    found = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return url, found["Attributes"]["QueueArn"]


def split_by(
    records: list[SqsEventRecord], keep: Callable[[SqsEventRecord], bool]
) -> tuple[list[SqsEventRecord], list[SqsEventRecord]]:
    """(kept, dropped) in one pass, never comparing records with each other."""
    kept: list[SqsEventRecord] = []
    dropped: list[SqsEventRecord] = []
    for record in records:
        (kept if keep(record) else dropped).append(record)
    return kept, dropped


class SqsMapping:
    """One function polling one queue."""

    def __init__(
        self,
        *,
        target: FunctionTarget,
        queue: str | None,
        queue_arn: str | None,
        settings: SqsSettings,
        sqs: Any,
        region: str,
        stopping: threading.Event,
        poll_interval: float,
        receive_wait: int = 0,
    ) -> None:
        self.target = target
        self.queue = queue
        self.queue_arn = queue_arn or ""
        self.settings = settings
        self.sqs = sqs
        self.region = region
        self.stopping = stopping
        self.poll_interval = poll_interval
        self.receive_wait = receive_wait
        self.queue_url = ""
        self.liveness = Liveness()
        self._empty_since: float | None = None  # first of a run of "queue is empty" readings
        self._thread: threading.Thread | None = None
        self.source = ""

    @property
    def description(self) -> str:
        name = self.queue or self.queue_arn.rsplit(":", 1)[-1]
        state = "" if self.settings.enabled else " (disabled)"
        return f"{self.target.name}<-sqs {name}{state}"

    def start(self) -> None:
        if not self.settings.enabled:
            log.info("%s: disabled (Enabled=false)", self.description)
            return
        try:
            self.queue_url, self.queue_arn = queue_url_and_arn(
                self.sqs, self.queue, self.queue_arn or None
            )
        except ClientError as err:
            raise ConfigError(
                f"{self.target.name}: SQS queue {self.queue or self.queue_arn} cannot be read "
                f"({err.response['Error']['Code']})"
            ) from None
        self.source = f"sqs:{self.queue_arn.rsplit(':', 1)[-1]}"
        self._thread = threading.Thread(target=self._run, name=self.description, daemon=True)
        self._thread.start()

    def join(self, timeout: float) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _receive(self, count: int, wait: int) -> list[dict[str, Any]]:
        response = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=max(1, min(10, count)),
            WaitTimeSeconds=wait,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        self.liveness.poll_succeeded()
        return list(response.get("Messages", []))

    def _collect(self) -> list[dict[str, Any]]:
        """Up to BatchSize messages, waiting at most the batching window once one arrived."""
        size = self.settings.batch_size
        window = self.settings.maximum_batching_window_in_seconds
        batch: list[dict[str, Any]] = []
        first_at: float | None = None
        while not self.stopping.is_set():
            started = now()
            # long-poll for the first message (as Lambda's pollers do), then gather more
            # within the window with short polls
            wait = 0 if batch else self.receive_wait
            messages = self._receive(size - len(batch), wait)
            if messages:
                self.liveness.hold(len(messages))
                batch.extend(messages)
                first_at = first_at if first_at is not None else now()
            elif not batch:
                self.liveness.polled_empty(empty_through(started, wait))
            if len(batch) >= size:
                return batch
            if batch and (window == 0 or now() - first_at >= window):  # type: ignore[operator]
                return batch
            if not messages and not wait:
                self.stopping.wait(self.poll_interval)
        return batch

    def _run(self) -> None:
        while not self.stopping.is_set():
            try:
                messages = self._collect()
                if messages:
                    self._handle(messages)
            except Exception as err:
                if self.stopping.is_set():
                    return
                self.liveness.poll_failed(self.description, err)
                self.stopping.wait(1.0)

    def _handle(self, messages: list[dict[str, Any]]) -> None:
        try:
            self._invoke(messages)
        finally:
            self.liveness.release(len(messages))

    def _invoke(self, messages: list[dict[str, Any]]) -> None:
        """Invoke with the messages that pass the filters; delete what succeeded."""
        records = [sqs_record(m, self.queue_arn, self.region) for m in messages]
        patterns = self.settings.filter_patterns
        kept, dropped = split_by(records, lambda r: matches_any(patterns, sqs_filter_view(r)))
        if dropped:
            self._delete(dropped)  # Lambda deletes messages that match no filter
        if not kept:
            return
        event: SqsEvent = {"Records": kept}
        failed: set[str] = set()

        def outcome(invocation: Invocation) -> str:
            failed.update(self._failed_ids(kept, invocation))
            if not failed:
                return "ok"
            return "error" if not invocation.ok else f"partial({len(failed)})"

        self.target.invoke(self.source, event, outcome)
        self._delete([r for r in kept if r["messageId"] not in failed])

    def _failed_ids(self, records: list[SqsEventRecord], invocation: Invocation) -> set[str]:
        """The messageIds to leave in the queue (a set: batches reach 10,000 messages)."""
        every = {r["messageId"] for r in records}
        if not invocation.ok:
            return every
        if not self.settings.report_batch_item_failures:
            return set()
        reported = reported_failures(invocation.response, every)
        return every if reported is WHOLE_BATCH else set(reported)

    def _delete(self, records: list[SqsEventRecord]) -> None:
        for start in range(0, len(records), 10):
            chunk = records[start : start + 10]
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": r["receiptHandle"]} for i, r in enumerate(chunk)
                ],
            )

    def failure(self) -> BaseException | None:
        return self.liveness.error

    def idle_since(self, since: float) -> bool:
        if not self.settings.enabled:
            return True
        if not self.liveness.idle_since(since):
            self._empty_since = None
            return False
        read_at = now()
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        empty = (
            int(attributes["ApproximateNumberOfMessages"]) == 0
            and int(attributes["ApproximateNumberOfMessagesNotVisible"]) == 0
        )
        if not empty:
            self._empty_since = None
            return False
        # The two counts are not read atomically: a message turning visible between them is
        # in neither. Only an empty poll that started after an empty reading settles it.
        if self._empty_since is None:
            self._empty_since = read_at
            return False
        return self.liveness.idle_since(self._empty_since)

    def status_lines(self) -> list[str]:
        return []
