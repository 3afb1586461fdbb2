"""FailureSink on two SQS queues: the retry queue and the dead-letter queue."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from ..observability.correlation import CorrelationIds, bind, sqs_message_attributes
from ..streams.parking import FailedRecord, queue_json

__all__ = ["MAX_MESSAGE_BYTES", "SqsFailureSink", "fitted"]

MAX_MESSAGE_BYTES = 240 * 1024
"""SQS takes 256 KiB per message, attributes included; a Kinesis record may hold 1 MB."""


def fitted(failed: FailedRecord) -> str:
    """The message body: the failed record, without its data when it would not fit.

    A record too large for a queue message keeps its reason and its origin (stream,
    shard, sequence number), by which it can still be read from the stream.
    """
    body = queue_json(failed)
    size = len(body.encode())
    if size <= MAX_MESSAGE_BYTES:
        return body
    origin = {k: v for k, v in dict(failed.get("origin") or {}).items() if k != "data"}
    trimmed = {**failed, "payload": None, "text": None, "origin": origin}
    trimmed["omitted"] = f"record data ({size} bytes as JSON) is larger than a queue message"
    return queue_json(trimmed)


class SqsFailureSink:
    """Queue URLs depend on the endpoint, so they are looked up by name on first use."""

    def __init__(self, sqs_client: Any, retry_queue: str, dead_letter_queue: str) -> None:
        self._sqs = sqs_client
        self._retry_queue = retry_queue
        self._dead_letter_queue = dead_letter_queue

    @cached_property
    def retry_queue_url(self) -> str:
        return str(self._sqs.get_queue_url(QueueName=self._retry_queue)["QueueUrl"])

    @cached_property
    def dead_letter_queue_url(self) -> str:
        return str(self._sqs.get_queue_url(QueueName=self._dead_letter_queue)["QueueUrl"])

    def park(self, failed: FailedRecord, correlation: CorrelationIds) -> None:
        self._send(self.retry_queue_url, failed, correlation)

    def dead_letter(self, failed: FailedRecord, correlation: CorrelationIds) -> None:
        self._send(self.dead_letter_queue_url, failed, correlation)

    def _send(self, queue_url: str, failed: FailedRecord, correlation: CorrelationIds) -> None:
        with bind(correlation):
            # the record's own hop, tried again later: its chain does not grow
            attributes = sqs_message_attributes(same_hop=True)
        self._sqs.send_message(
            QueueUrl=queue_url,
            MessageBody=fitted(failed),
            MessageAttributes=attributes,
        )
