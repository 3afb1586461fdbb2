"""SQS batches of up to 10,000 messages: which to delete, found without comparing records.

Comparing whole records (``r not in kept``) costs a dict comparison per pair: at
10,000 messages that is 10^8 of them. Here a record that is compared with another
raises, so a quadratic membership check fails the test instead of only slowing it.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

import local_runtime.sqs as sqs_module
from local_runtime.config import parse_sqs_settings
from local_runtime.context import FunctionIdentity
from local_runtime.invoker import Invoker
from local_runtime.sqs import SqsMapping
from local_runtime.target import FunctionTarget

COUNT = 10_000


class NeverCompared(dict):
    """A record that refuses to be compared (a list membership test would compare it)."""

    def __eq__(self, other: object) -> bool:
        raise AssertionError("records were compared with each other")

    __hash__ = None  # type: ignore[assignment]


class DeletingQueue:
    """In-memory twin of the two SQS calls the mapping makes after an invocation."""

    def __init__(self) -> None:
        self.deleted: list[str] = []

    def delete_message_batch(self, QueueUrl: str, Entries: list[dict[str, str]]) -> dict:
        assert len(Entries) <= 10
        self.deleted.extend(entry["ReceiptHandle"] for entry in Entries)
        return {"Successful": [{"Id": e["Id"]} for e in Entries]}


def mapping(handler: Any, queue: DeletingQueue, event_source: dict[str, Any]) -> SqsMapping:
    settings = parse_sqs_settings(
        "queued",
        batch_size=COUNT,
        maximum_batching_window_in_seconds=1,
        fifo=False,
        maximum_concurrency=None,
        event_source=event_source,
    )
    identity = FunctionIdentity("app-local-queued", "us-east-1", "123456789012")
    target = FunctionTarget("queued", handler, identity, Invoker(), "arn:aws:iam::1:role/r")
    return SqsMapping(
        target=target,
        queue="q",
        queue_arn="arn:aws:sqs:us-east-1:123456789012:q",
        settings=settings,
        sqs=queue,
        region="us-east-1",
        stopping=threading.Event(),
        poll_interval=0.1,
    )


def messages(count: int) -> list[dict[str, Any]]:
    return [
        {
            "MessageId": f"m{i}",
            "ReceiptHandle": f"h{i}",
            "Body": json.dumps({"n": i, "tenth": i % 10 == 0}),
            "MD5OfBody": "x",
        }
        for i in range(count)
    ]


@pytest.fixture(autouse=True)
def uncomparable_records(monkeypatch: pytest.MonkeyPatch) -> None:
    real = sqs_module.sqs_record
    monkeypatch.setattr(sqs_module, "sqs_record", lambda *args: NeverCompared(real(*args)))


def test_a_10000_message_partial_failure_deletes_exactly_the_others():
    # GIVEN a handler that reports every odd message failed
    def handler(event: dict, context: Any) -> dict:
        failed = [r["messageId"] for r in event["Records"] if json.loads(r["body"])["n"] % 2]
        return {"batchItemFailures": [{"itemIdentifier": m} for m in failed]}

    queue = DeletingQueue()
    runtime_mapping = mapping(
        handler, queue, {"FunctionResponseTypes": ["ReportBatchItemFailures"]}
    )
    # WHEN a batch of 10,000 messages is handled
    runtime_mapping._invoke(messages(COUNT))
    # THEN exactly the even ones were deleted, in order
    assert queue.deleted == [f"h{i}" for i in range(0, COUNT, 2)]


def test_a_10000_message_batch_filtered_then_failed_deletes_only_the_filtered_out():
    # GIVEN a filter that keeps every tenth message and a handler that always fails
    def handler(event: dict, context: Any) -> None:
        raise ValueError("down")

    queue = DeletingQueue()
    pattern = '{"body": {"tenth": [true]}}'
    runtime_mapping = mapping(
        handler, queue, {"FilterCriteria": {"Filters": [{"Pattern": pattern}]}}
    )
    runtime_mapping._invoke(messages(COUNT))
    # THEN the filtered-out messages were deleted and the failed ones kept
    assert queue.deleted == [f"h{i}" for i in range(COUNT) if i % 10]
