"""Correlation ids: captured at every entry, forwarded at every exit, per record.

The ids are a flat dict of header-style lower-case keys (``x-correlation-id``, any
other ``x-correlation-*``, ``call-chain-length``, ``debug-log-enabled``). They ride
inside a Kinesis payload as ``__context__``, as SNS and SQS message attributes, and
as HTTP headers. The debug-sampling decision is made once, where the ids are born,
and travels with them, so a sampled request logs at debug on its whole path. Each
hop adds one to ``call-chain-length``; ``check_call_chain`` refuses a record whose
chain has grown past the limit, which stops a publish loop from running forever.

No SDK calls here: the capture functions read the event shapes Lambda delivers, the
forward functions return the dicts an adapter hands to boto3 or requests.
"""

from __future__ import annotations

import base64
import binascii
import json
import random
import uuid
from collections.abc import Mapping
from typing import Any, Literal, TypedDict

import requests

from chalicelib.observability.context import (
    CALL_CHAIN_LENGTH,
    CORRELATION_ID,
    CORRELATION_PREFIX,
    DEBUG_LOG_ENABLED,
    CorrelationIds,
    bind,
    current,
)
from chalicelib.observability.logging import logger
from chalicelib.observability.settings import ObservabilitySettings

__all__ = [
    "CALL_CHAIN_LENGTH",
    "CONTEXT_KEY",
    "CORRELATION_ID",
    "DEBUG_LOG_ENABLED",
    "MESSAGE_ATTRIBUTE_LIMIT",
    "CallChainTooLong",
    "CorrelatedSession",
    "CorrelationIds",
    "MessageAttributeValue",
    "SnsEventMessageAttribute",
    "SqsEventMessageAttribute",
    "bind",
    "call_chain_length",
    "check_call_chain",
    "correlated_session",
    "current",
    "from_http_headers",
    "from_kinesis_payload",
    "from_kinesis_record",
    "from_sns_record",
    "from_sqs_record",
    "http_headers",
    "kinesis_payload",
    "new_ids",
    "sns_message_attributes",
    "sqs_message_attributes",
]

CONTEXT_KEY = "__context__"
"""Where the ids ride inside a Kinesis record's JSON payload."""

MESSAGE_ATTRIBUTE_LIMIT = 10
"""SQS takes at most 10 message attributes, and so does SNS raw delivery to SQS."""

_FIRST = (CORRELATION_ID, CALL_CHAIN_LENGTH, DEBUG_LOG_ENABLED)


class MessageAttributeValue(TypedDict):
    """One entry of boto3's ``MessageAttributes`` for SNS publish(_batch) and SQS send."""

    DataType: Literal["String"]
    StringValue: str


class SnsEventMessageAttribute(TypedDict):
    """One message attribute as Lambda delivers it in an SNS event record."""

    Type: str
    Value: str


class SqsEventMessageAttribute(TypedDict, total=False):
    """One message attribute as Lambda delivers it in an SQS event record."""

    stringValue: str
    binaryValue: str
    stringListValues: list[str]
    binaryListValues: list[str]
    dataType: str


class CallChainTooLong(Exception):
    """A record has travelled more hops than the limit allows: most likely a loop."""

    def __init__(self, length: int, limit: int) -> None:
        super().__init__(f"call-chain-length {length} exceeds the limit of {limit}")
        self.length = length
        self.limit = limit


# -- capture -----------------------------------------------------------------


def _is_correlation_key(key: str) -> bool:
    return key.startswith(CORRELATION_PREFIX) or key in (CALL_CHAIN_LENGTH, DEBUG_LOG_ENABLED)


def _complete(found: Mapping[str, str]) -> CorrelationIds:
    """Fill in what did not come in: an id, a chain length, a sampling decision."""
    ids: CorrelationIds = {}
    ids[CORRELATION_ID] = found.get(CORRELATION_ID) or str(uuid.uuid4())
    for key, value in found.items():
        if key not in _FIRST:
            ids[key] = value
    ids[CALL_CHAIN_LENGTH] = str(_parse_length(found.get(CALL_CHAIN_LENGTH)))
    decision = found.get(DEBUG_LOG_ENABLED)
    if decision is None:
        rate = ObservabilitySettings.from_environ().debug_log_sample_rate
        ids[DEBUG_LOG_ENABLED] = "true" if random.random() < rate else "false"
    else:
        ids[DEBUG_LOG_ENABLED] = "true" if decision.strip().lower() == "true" else "false"
    return ids


def _parse_length(raw: str | None) -> int:
    """A chain length as it came; absent or garbled counts as the first hop (0)."""
    if raw is None:
        return 0
    try:
        return max(int(raw.strip()), 0)
    except ValueError:
        return 0


def _pick(pairs: Mapping[str, Any]) -> dict[str, str]:
    """The correlation entries of ``pairs`` with string values, keys lower-cased.

    Empty values and values with control characters are dropped: SNS refuses the
    first, and the second could not be sent on as an HTTP header.
    """
    found: dict[str, str] = {}
    for key, value in pairs.items():
        if not isinstance(key, str) or not isinstance(value, str | int):
            continue
        lowered, text = key.lower(), str(value)
        if _is_correlation_key(lowered) and text and text.isprintable():
            found[lowered] = text
    return found


def new_ids() -> CorrelationIds:
    """Fresh ids for work that starts here (a new id, chain 0, a sampling decision)."""
    return _complete({})


def from_http_headers(headers: Mapping[str, str]) -> CorrelationIds:
    """Ids from request headers, matched case-insensitively."""
    return _complete(_pick(headers))


def from_kinesis_payload(payload: Mapping[str, Any]) -> CorrelationIds:
    """Ids from ``payload["__context__"]`` of a decoded Kinesis record."""
    context = payload.get(CONTEXT_KEY) if isinstance(payload, Mapping) else None
    return _complete(_pick(context) if isinstance(context, Mapping) else {})


def from_kinesis_record(record: Mapping[str, Any]) -> CorrelationIds:
    """Ids from a raw Lambda Kinesis event record (base64 JSON in ``kinesis.data``).

    A record whose data is not a JSON object -- a poison record -- gets fresh ids,
    so that its failure can still be logged and traced.
    """
    try:
        data = base64.b64decode(record["kinesis"]["data"], validate=True)
        payload = json.loads(data)
    except (KeyError, TypeError, ValueError, binascii.Error):
        return new_ids()
    return from_kinesis_payload(payload if isinstance(payload, dict) else {})


def from_sns_record(record: Mapping[str, Any]) -> CorrelationIds:
    """Ids from ``record["Sns"]["MessageAttributes"]`` of a Lambda SNS event record."""
    attributes = record.get("Sns", {}).get("MessageAttributes") or {}
    values = {
        name: attribute.get("Value")
        for name, attribute in attributes.items()
        if isinstance(attribute, Mapping) and attribute.get("Type") in ("String", "Number")
    }
    return _complete(_pick(values))


def from_sqs_record(record: Mapping[str, Any]) -> CorrelationIds:
    """Ids from ``record["messageAttributes"]`` of a Lambda SQS event record."""
    attributes = record.get("messageAttributes") or {}
    values = {
        name: attribute.get("stringValue")
        for name, attribute in attributes.items()
        if isinstance(attribute, Mapping)
        and str(attribute.get("dataType", "")).split(".")[0] in ("String", "Number")
    }
    return _complete(_pick(values))


# -- forward -----------------------------------------------------------------


def _outgoing() -> CorrelationIds:
    """The ids in force (fresh ones when none are), one hop further along."""
    ids = current() or new_ids()
    ids[CALL_CHAIN_LENGTH] = str(_parse_length(ids.get(CALL_CHAIN_LENGTH)) + 1)
    return ids


def _ordered(ids: Mapping[str, str]) -> list[tuple[str, str]]:
    first = [(key, ids[key]) for key in _FIRST if ids.get(key)]
    rest = [(key, value) for key, value in ids.items() if key not in _FIRST and value]
    return first + rest


def kinesis_payload(payload: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``payload`` carrying the ids in force under ``__context__``."""
    return {**payload, CONTEXT_KEY: _outgoing()}


def _message_attributes(channel: str, limit: int) -> dict[str, MessageAttributeValue]:
    pairs = _ordered(_outgoing())
    kept, dropped = pairs[:limit], pairs[limit:]
    if dropped:
        logger.warning(
            f"{channel} takes {limit} message attributes: correlation ids dropped",
            dropped=[key for key, _ in dropped],
        )
    return {key: {"DataType": "String", "StringValue": value} for key, value in kept}


def sns_message_attributes(
    limit: int = MESSAGE_ATTRIBUTE_LIMIT,
) -> dict[str, MessageAttributeValue]:
    """``MessageAttributes`` for SNS publish / publish_batch entries.

    Lower ``limit`` to leave room for attributes of your own; the first three kept
    are always x-correlation-id, call-chain-length and debug-log-enabled.
    """
    return _message_attributes("SNS", limit)


def sqs_message_attributes(
    limit: int = MESSAGE_ATTRIBUTE_LIMIT,
) -> dict[str, MessageAttributeValue]:
    """``MessageAttributes`` for SQS send_message / send_message_batch entries."""
    return _message_attributes("SQS", limit)


def http_headers() -> dict[str, str]:
    """Headers for an outgoing HTTP call."""
    return dict(_ordered(_outgoing()))


class CorrelatedSession(requests.Session):
    """A requests session that adds the ids in force when each request is sent.

    Headers the caller set explicitly are kept. Read at send time, not at session
    creation, so one session built per container serves every record.
    """

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        for key, value in http_headers().items():
            request.headers.setdefault(key, value)
        return super().send(request, **kwargs)


def correlated_session() -> requests.Session:
    """A new ``CorrelatedSession``."""
    return CorrelatedSession()


# -- loop guard --------------------------------------------------------------


def call_chain_length(ids: Mapping[str, str]) -> int:
    return _parse_length(ids.get(CALL_CHAIN_LENGTH))


def check_call_chain(ids: Mapping[str, str], limit: int | None = None) -> None:
    """Raise ``CallChainTooLong`` (after an error line) when the chain exceeds ``limit``.

    ``limit`` defaults to the MAX_CALL_CHAIN_LENGTH setting (10). The error line is
    written with ``ids`` in force, so it shows up in the trace of the refused record.
    """
    if limit is None:
        limit = ObservabilitySettings.from_environ().max_call_chain_length
    length = call_chain_length(ids)
    if length <= limit:
        return
    with bind(ids):
        logger.error(
            "call chain too long: record refused",
            call_chain_length=length,
            call_chain_limit=limit,
        )
    raise CallChainTooLong(length, limit)
