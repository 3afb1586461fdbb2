"""What each kind of dead letter becomes when an operator re-drives it.

- a record our processor dead-lettered (``FailedRecord``): sent back as it is;
- Lambda's on-failure record of a Kinesis batch (``KinesisBatchInfo``, no data): the
  batch's records, re-read from the stream, each parked for the retry worker;
- Lambda's record of a failed asynchronous invocation (SNS): the event's records,
  taken from ``requestPayload``, each parked for the retry worker;
- anything else is refused, and stays: sent to the retry queue as it is, the retry
  worker could not run it and the queue would bounce it back here.
"""

from __future__ import annotations

from .kinesis_batches import BatchRange, KinesisBatchReader, Refused
from .parked import Outgoing, handler_of, parked_from_async, parked_from_kinesis
from .queues import ParkedMessage

__all__ = ["DeadLetterPlan"]


class DeadLetterPlan:
    def __init__(self, reader: KinesisBatchReader, function_prefix: str, handlers: set[str]):
        self._reader = reader
        self._prefix = function_prefix
        self._handlers = handlers

    def __call__(self, message: ParkedMessage) -> list[Outgoing]:
        body = message.body
        context = body.get("requestContext")
        if "KinesisBatchInfo" in body and isinstance(context, dict):
            handler = handler_of(str(context.get("functionArn", "")), self._prefix, self._handlers)
            records = self._reader.read(BatchRange.from_info(body["KinesisBatchInfo"]), handler)
            return parked_from_kinesis(body, handler, records)
        if isinstance(context, dict) and "requestPayload" in body:
            handler = handler_of(str(context.get("functionArn", "")), self._prefix, self._handlers)
            return parked_from_async(body, handler)
        if "handler" not in body:
            raise Refused("not a parked record (no handler): the retry worker could not run it")
        return [(body, message.attributes)]
