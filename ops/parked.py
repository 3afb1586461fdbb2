"""Turn Lambda's on-failure records into the parked messages the retry worker re-runs.

The parked shape is ``FailedRecord`` of ``chalicelib.streams.parking``, its one
definition; the retry worker (``chalicelib/streams/retry.py``) runs ``payload``
through the processor named ``handler``. Correlation ids go along as SQS message
attributes, as the failure sink sends them: read from the record's ``__context__``,
``call-chain-length`` as it was (a retry is the same hop, not a new one).

A re-read record in the KPL aggregated format is parked one user record at a time, as
the processor parks and dead-letters them: each with its own data, partition key,
sub-sequence number and correlation ids, so the retry worker checks and runs each on
its own and a poison one fails alone. An aggregate that cannot be read (its digest
does not match) is parked whole, the reason in its error, for an operator to see.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from chalicelib.streams.kpl import CorruptAggregate, is_aggregated, user_records
from chalicelib.streams.parking import FailedRecord

from .kinesis_batches import BatchRange, Refused, StreamRecord

__all__ = [
    "ON_FAILURE_POLICY",
    "Outgoing",
    "correlation_attributes",
    "handler_of",
    "parked_from_async",
    "parked_from_kinesis",
]

ON_FAILURE_POLICY = "on_failure_destination"
"""``policy`` of a record that Lambda's event-source mapping gave up (not a processor)."""

_CONTEXT_KEY = "__context__"
_CORRELATION_PREFIX = "x-correlation-"
_CALL_CHAIN_LENGTH = "call-chain-length"
_DEBUG_LOG = "debug-log-enabled"
_FIRST = (f"{_CORRELATION_PREFIX}id", _CALL_CHAIN_LENGTH, _DEBUG_LOG)  # kept under the limit
_ATTRIBUTE_LIMIT = 10  # SQS message attributes per message

Outgoing = tuple[dict[str, Any], dict[str, Any]]
"""A message to send: its JSON body and its SQS message attributes."""


def handler_of(function_arn: str, function_prefix: str, handlers: set[str]) -> str:
    """The processor a function ARN names: the deployed name without the stage prefix."""
    name = function_arn.split(":function:", 1)[-1].split(":", 1)[0]
    handler = name.removeprefix(f"{function_prefix}-") if function_prefix else name
    if handler not in handlers:
        known = ", ".join(sorted(handlers))
        raise Refused(f"function {name} is none of this stage's handlers ({known})")
    return handler


def parked_from_kinesis(
    body: Mapping[str, Any], handler: str, records: list[StreamRecord]
) -> list[Outgoing]:
    """One parked message a record, in stream order, explaining the batch's failure."""
    batch = BatchRange.from_info(body["KinesisBatchInfo"])
    context = body.get("requestContext") or {}
    response = body.get("responseContext") or {}
    error = {
        "type": str(context.get("condition") or "Unknown"),
        "message": (
            f"Lambda gave up the batch {batch.start}..{batch.end} of {batch.shard_id} "
            f"({response.get('functionError') or 'no function error'})"
        ),
    }
    outgoing: list[Outgoing] = []
    for record in records:
        for data, origin, problem in _user_records(record.data, record.lambda_origin(batch)):
            payload, text = _decode(data) if problem is None else (None, None)
            message = error["message"] if problem is None else f"{error['message']}; {problem}"
            failed = FailedRecord(
                handler=handler,
                policy=ON_FAILURE_POLICY,
                payload=payload,
                text=text,
                error={"type": error["type"], "message": message},
                attempts=int(context.get("approximateInvokeCount") or 1),
                first_failure_at=str(body.get("timestamp") or ""),
                origin=origin,
            )
            context_ids = payload.get(_CONTEXT_KEY) if isinstance(payload, dict) else None
            outgoing.append((dict(failed), correlation_attributes(context_ids)))
    return outgoing


def _user_records(
    data: bytes, origin: dict[str, Any]
) -> list[tuple[bytes, dict[str, Any], str | None]]:
    """(data, origin, why it cannot be read) of each record a Kinesis record holds: itself,
    or each user record of a KPL aggregate; a corrupt aggregate is one, whole."""
    if not is_aggregated(data):
        return [(data, origin, None)]
    try:
        parts = user_records(data)
    except CorruptAggregate as err:
        return [(data, {**origin, "aggregated": True}, str(err))]
    return [(part.data, part.origin(origin), part.problem) for part in parts]


def parked_from_async(body: Mapping[str, Any], handler: str) -> list[Outgoing]:
    """One parked message a record of the SNS event of a failed asynchronous invocation."""
    context = body.get("requestContext") or {}
    event = body.get("requestPayload")
    records = event.get("Records") if isinstance(event, dict) else None
    if not records or not all(isinstance(r, dict) and "Sns" in r for r in records):
        raise Refused("Lambda's record of a failed invocation whose event is not from SNS")
    response = body.get("responsePayload")
    reason = response.get("errorMessage") if isinstance(response, dict) else None
    outgoing: list[Outgoing] = []
    for record in records:
        sns = record["Sns"]
        payload, text = _decode(str(sns.get("Message", "")).encode())
        failed = FailedRecord(
            handler=handler,
            policy=ON_FAILURE_POLICY,
            payload=payload,
            text=text,
            error={
                "type": str(context.get("condition") or "Unknown"),
                "message": f"Lambda gave up the invocation ({reason or 'no error message'})",
            },
            attempts=int(context.get("approximateInvokeCount") or 1),
            first_failure_at=str(body.get("timestamp") or ""),
            origin={"TopicArn": sns.get("TopicArn"), "MessageId": sns.get("MessageId")},
        )
        attributes = sns.get("MessageAttributes") or {}
        ids = {k: v.get("Value") for k, v in attributes.items() if isinstance(v, dict)}
        outgoing.append((dict(failed), correlation_attributes(ids)))
    return outgoing


def _decode(data: bytes) -> tuple[Any, str | None]:
    """``(payload, None)`` for JSON data, ``(None, text)`` otherwise, as the processor parks."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None, None
    try:
        return json.loads(text), None
    except ValueError:
        return None, text


def correlation_attributes(context: Any) -> dict[str, Any]:
    """SQS message attributes of the correlation ids among ``context`` (a record's
    ``__context__`` or its message attributes); the first three are kept under the limit."""
    if not isinstance(context, dict):
        return {}
    given = {str(k).lower(): v for k, v in context.items() if isinstance(v, str) and v}
    ids = {k: v for k, v in given.items() if k.startswith(_CORRELATION_PREFIX) or k == _DEBUG_LOG}
    try:
        length = max(int(given.get(_CALL_CHAIN_LENGTH, "0")), 0)
    except ValueError:
        length = 0
    ids[_CALL_CHAIN_LENGTH] = str(length)  # a retry is the same hop: the chain does not grow
    ordered = sorted(ids.items(), key=lambda item: item[0] not in _FIRST)  # stable sort
    return {
        name: {"DataType": "String", "StringValue": value}
        for name, value in ordered[:_ATTRIBUTE_LIMIT]
    }
