"""Read and re-drive the retry queue and the dead-letter queue without losing a message."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from chalicelib.streams.parking import queue_json

from .kinesis_batches import Refused

__all__ = ["ParkedMessage", "Plan", "QueueInspector", "RedriveResult"]

_BATCH_BYTES = 200_000  # bodies a SendMessageBatch call (SQS takes 256 KiB with attributes)


@dataclass(frozen=True)
class ParkedMessage:
    queue: str  # "retry" or "dead"
    message_id: str
    receipt_handle: str
    body: dict[str, Any]
    attributes: dict[str, Any]  # message attributes, as SQS returns them
    receive_count: int

    @property
    def correlation_id(self) -> str | None:
        value = self.attributes.get("x-correlation-id", {}).get("StringValue")
        return str(value) if value is not None else None

    def summary(self) -> dict[str, Any]:
        body = self.body
        if "requestContext" in body:
            return self._destination_summary()
        return {
            "queue": self.queue,
            "message_id": self.message_id,
            "handler": body.get("handler"),
            "error": body.get("error"),
            "correlation_id": self.correlation_id,
            "attempts": body.get("attempts"),
            "receive_count": self.receive_count,
            "first_failure_at": body.get("first_failure_at"),
            "record": body.get("payload") if body.get("payload") is not None else body.get("text"),
            "origin": body.get("origin"),
        }

    def _destination_summary(self) -> dict[str, Any]:
        """A record Lambda itself sent to its on-failure destination (our handler never ran
        to completion, or the processor could not park): where the records lie, not them."""
        body = self.body
        context = body["requestContext"]
        response = body.get("responsePayload") or {}
        return {
            "queue": self.queue,
            "message_id": self.message_id,
            "handler": str(context.get("functionArn", "")).rsplit(":", 1)[-1],
            "error": {
                "type": context.get("condition"),
                "message": response.get("errorMessage") if isinstance(response, dict) else None,
            },
            "correlation_id": self.correlation_id,
            "attempts": context.get("approximateInvokeCount"),
            "receive_count": self.receive_count,
            "first_failure_at": body.get("timestamp"),
            "record": body.get("KinesisBatchInfo") or body.get("requestPayload"),
            "origin": None,  # the record says where the batch lies
        }


@dataclass
class RedriveResult:
    moved: list[str] = field(default_factory=list)  # ids of the dead letters re-driven
    refused: dict[str, str] = field(default_factory=dict)  # id -> why it stays
    sent: int = 0  # messages sent to the retry queue (a batch record gives several)


Plan = Callable[[ParkedMessage], list[tuple[dict[str, Any], dict[str, Any]]]]
"""What a dead letter becomes in the retry queue; raises ``Refused`` to keep it."""


class QueueInspector:
    """Peeks at messages (hidden while listed, then shown again) and moves them back."""

    def __init__(self, sqs_client: Any, retry_queue: str, dead_letter_queue: str) -> None:
        self._sqs = sqs_client
        self._urls = {
            "retry": sqs_client.get_queue_url(QueueName=retry_queue)["QueueUrl"],
            "dead": sqs_client.get_queue_url(QueueName=dead_letter_queue)["QueueUrl"],
        }

    def peek(self, queue: str, hide_seconds: int = 30) -> list[ParkedMessage]:
        """Every message of ``queue``, each once; they are visible again when this returns.

        Note that SQS counts a peek as a receive: on the retry queue it brings a message
        one receive closer to its redrive to the dead-letter queue.
        """
        hidden = list(self._receive_all(queue, hide_seconds))
        for message in hidden:
            self._sqs.change_message_visibility(
                QueueUrl=self._urls[queue],
                ReceiptHandle=message.receipt_handle,
                VisibilityTimeout=0,
            )
        return hidden

    def redrive(
        self, message_ids: set[str] | None, plan: Plan | None = None, hide_seconds: int = 120
    ) -> RedriveResult:
        """Move dead letters (all, or those named) to the retry queue, as ``plan`` says.

        ``plan`` turns a dead letter into the messages to send (by default the message
        itself) or raises ``Refused``: a refused message stays in the dead-letter queue.
        A message is deleted only after all its copies are sent, so a crash in between
        re-drives it twice at worst: harmless, the feed is idempotent.
        """
        url = self._urls["dead"]
        result = RedriveResult()
        kept: list[str] = []
        for message in self._receive_all("dead", hide_seconds):
            if message_ids is not None and message.message_id not in message_ids:
                kept.append(message.receipt_handle)
                continue
            try:
                outgoing = plan(message) if plan else [(message.body, message.attributes)]
            except Refused as refusal:
                result.refused[message.message_id] = str(refusal)
                kept.append(message.receipt_handle)
                continue
            self._send_all(outgoing)
            self._sqs.delete_message(QueueUrl=url, ReceiptHandle=message.receipt_handle)
            result.moved.append(message.message_id)
            result.sent += len(outgoing)
        for handle in kept:
            self._sqs.change_message_visibility(
                QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0
            )
        return result

    def _send_all(self, outgoing: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
        """Send in batches of at most 10 messages and ``_BATCH_BYTES`` of bodies, in order."""
        batch: list[dict[str, Any]] = []
        size = 0
        for body, attributes in outgoing:
            text = queue_json(body)
            if batch and (len(batch) == 10 or size + len(text.encode()) > _BATCH_BYTES):
                self._send_batch(batch)
                batch, size = [], 0
            batch.append(
                {"Id": str(len(batch)), "MessageBody": text, "MessageAttributes": attributes}
            )
            size += len(text.encode())
        if batch:
            self._send_batch(batch)

    def _send_batch(self, entries: list[dict[str, Any]]) -> None:
        response = self._sqs.send_message_batch(QueueUrl=self._urls["retry"], Entries=entries)
        if response.get("Failed"):
            raise RuntimeError(f"the retry queue refused messages: {response['Failed']}")

    def _receive_all(self, queue: str, hide_seconds: int) -> Iterator[ParkedMessage]:
        """Every message of ``queue`` once, each hidden for ``hide_seconds`` when received."""
        while True:
            response = self._sqs.receive_message(
                QueueUrl=self._urls[queue],
                MaxNumberOfMessages=10,
                VisibilityTimeout=hide_seconds,
                MessageAttributeNames=["All"],
                AttributeNames=["ApproximateReceiveCount"],
                WaitTimeSeconds=0,
            )
            batch = response.get("Messages", [])
            if not batch:
                return
            for raw in batch:
                yield self._parse(queue, raw)

    @staticmethod
    def _parse(queue: str, raw: dict[str, Any]) -> ParkedMessage:
        try:
            body = json.loads(raw["Body"])
        except ValueError:
            body = {"text": raw["Body"]}
        if not isinstance(body, dict):
            body = {"payload": body}
        attributes = {
            name: {k: v for k, v in value.items() if k in ("DataType", "StringValue")}
            for name, value in raw.get("MessageAttributes", {}).items()
        }
        return ParkedMessage(
            queue=queue,
            message_id=raw["MessageId"],
            receipt_handle=raw["ReceiptHandle"],
            body=body,
            attributes=attributes,
            receive_count=int(raw.get("Attributes", {}).get("ApproximateReceiveCount", "0")),
        )
