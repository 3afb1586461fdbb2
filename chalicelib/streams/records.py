"""One shape for a record of any event source, and one adapter per source.

Each adapter reads everything this app needs from its source's raw record -- the id
that ``batchItemFailures`` names, the data as text, where the record came from, and
the correlation ids in the place that source carries them (``__context__`` inside a
Kinesis payload, message attributes on SNS and SQS) -- so one record is followed
through one function. What all sources share (completing and capping the ids) is
``observability.correlation.capture``.

A Kinesis record in the KPL aggregated format becomes one record per user record
(``kinesis_user_records``), each with its own data, partition key, correlation ids and
sub-sequence number, so each is checked and handled on its own; they share the Kinesis
record's sequence number, the only id ``batchItemFailures`` can name.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from ..domain.errors import InvalidInput
from ..observability.correlation import CONTEXT_KEY, CorrelationIds, capture
from .kpl import CorruptAggregate, UserRecord, is_aggregated, user_records

__all__ = [
    "ADAPTERS",
    "IncomingRecord",
    "NotJson",
    "UnreadableRecord",
    "arrival_of",
    "event_records",
    "from_kinesis",
    "from_sns",
    "from_sqs",
    "iterator_age_ms",
    "kinesis_user_records",
]


class NotJson(InvalidInput):
    """The record's data is not JSON: no retry can fix it."""

    def __init__(self, reason: str) -> None:
        super().__init__("data", f"record data is not JSON ({reason})")


class UnreadableRecord(InvalidInput):
    """The record could not be read at all (a corrupt KPL aggregate, a user record that
    names a key its aggregate lacks): no retry can fix it."""

    def __init__(self, reason: str) -> None:
        super().__init__("data", reason)


@dataclass(frozen=True)
class IncomingRecord:
    source: str  # aws:kinesis, aws:sns, aws:sqs
    identifier: str  # sequence number (Kinesis), message id (SNS, SQS): batchItemFailures ids
    text: str | None  # the record's data as text, None if it is not UTF-8
    correlation: CorrelationIds
    origin: dict[str, Any] = field(default_factory=dict)  # where it came from, for operators
    raw: Mapping[str, Any] = field(default_factory=dict)
    arrival: float | None = None  # Kinesis: approximateArrivalTimestamp, epoch seconds
    sub_sequence: int | None = None  # a KPL user record's place in its aggregate
    unreadable: str | None = None  # why the data could not be read (permanent)

    @property
    def label(self) -> str:
        """The record's name in logs: its id, and its sub-sequence number if it has one."""
        if self.sub_sequence is None:
            return self.identifier
        return f"{self.identifier} (user record {self.sub_sequence})"

    def payload(self) -> Any:
        """The data as JSON, a fresh copy per call; ``NotJson`` (permanent) when it is not,
        ``UnreadableRecord`` when it could not be read."""
        if self.unreadable is not None:
            raise UnreadableRecord(self.unreadable)
        if self.text is None:
            raise NotJson("not UTF-8 text")
        try:
            return json.loads(self.text)
        except ValueError as err:
            raise NotJson(str(err)) from None


def _kinesis_context(text: str | None) -> Mapping[str, Any]:
    """``__context__`` of a JSON object payload; empty for anything else."""
    try:
        payload = json.loads(text) if text is not None else None
    except ValueError:
        return {}
    context = payload.get(CONTEXT_KEY) if isinstance(payload, dict) else None
    return context if isinstance(context, Mapping) else {}


def _utf8(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _kinesis_data(record: Mapping[str, Any]) -> bytes | None:
    try:
        return base64.b64decode(record["kinesis"]["data"], validate=True)
    except (binascii.Error, ValueError):
        return None


def from_kinesis(record: Mapping[str, Any]) -> IncomingRecord:
    """A Lambda Kinesis event record: base64 data; the ids in the payload's ``__context__``.

    Data that is not a JSON object -- a poison record -- gets fresh ids, so that its
    failure can still be logged and traced.
    """
    kinesis = record["kinesis"]
    data = _kinesis_data(record)
    text = None if data is None else _utf8(data)
    return IncomingRecord(
        source="aws:kinesis",
        identifier=kinesis["sequenceNumber"],
        text=text,
        correlation=capture(_kinesis_context(text)),
        origin={
            "eventSourceARN": record.get("eventSourceARN"),
            "eventID": record.get("eventID"),
            "partitionKey": kinesis.get("partitionKey"),
            "sequenceNumber": kinesis["sequenceNumber"],
            "approximateArrivalTimestamp": kinesis.get("approximateArrivalTimestamp"),
            "data": kinesis["data"],
        },
        raw=record,
        arrival=arrival_of(kinesis.get("approximateArrivalTimestamp")),
    )


def arrival_of(value: Any) -> float | None:
    """An arrival timestamp as Lambda gives it (epoch seconds); None if it is not one."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def from_sns(record: Mapping[str, Any]) -> IncomingRecord:
    """A Lambda SNS event record: the message text; the ids in ``MessageAttributes``."""
    sns = record["Sns"]
    attributes = sns.get("MessageAttributes") or {}
    ids = {
        name: attribute.get("Value")
        for name, attribute in attributes.items()
        if isinstance(attribute, Mapping) and attribute.get("Type") in ("String", "Number")
    }
    return IncomingRecord(
        source="aws:sns",
        identifier=sns["MessageId"],
        text=sns["Message"],
        correlation=capture(ids),
        origin={"TopicArn": sns.get("TopicArn"), "MessageId": sns["MessageId"]},
        raw=record,
    )


def from_sqs(record: Mapping[str, Any]) -> IncomingRecord:
    """A Lambda SQS event record: the body; the ids in ``messageAttributes``."""
    attributes = record.get("messageAttributes") or {}
    ids = {
        name: attribute.get("stringValue")
        for name, attribute in attributes.items()
        if isinstance(attribute, Mapping)
        and str(attribute.get("dataType", "")).split(".")[0] in ("String", "Number")
    }
    return IncomingRecord(
        source="aws:sqs",
        identifier=record["messageId"],
        text=record["body"],
        correlation=capture(ids),
        origin={"eventSourceARN": record.get("eventSourceARN"), "messageId": record["messageId"]},
        raw=record,
    )


def kinesis_user_records(record: Mapping[str, Any]) -> list[IncomingRecord]:
    """The records a Lambda Kinesis event record holds: itself, or, for a KPL aggregate,
    each user record in order; a corrupt aggregate is one record that cannot be read."""
    data = _kinesis_data(record)
    if data is None or not is_aggregated(data):
        return [from_kinesis(record)]
    whole = from_kinesis(record)
    try:
        parts = user_records(data)
    except CorruptAggregate as err:
        return [replace(whole, origin={**whole.origin, "aggregated": True}, unreadable=str(err))]
    return [_user_record(whole, part) for part in parts]


def _user_record(whole: IncomingRecord, part: UserRecord) -> IncomingRecord:
    text = _utf8(part.data)
    return replace(
        whole,
        text=text,
        correlation=capture(_kinesis_context(text)),
        origin=part.origin(whole.origin),
        sub_sequence=part.sub_sequence_number,
        unreadable=part.problem,
    )


ADAPTERS: dict[str, Callable[[Mapping[str, Any]], IncomingRecord]] = {
    "aws:kinesis": from_kinesis,
    "aws:sns": from_sns,
    "aws:sqs": from_sqs,
}
"""The adapter of each event source, by the record's ``eventSource`` (SNS: ``EventSource``)."""


def event_records(event: Mapping[str, Any]) -> list[IncomingRecord]:
    """The records of a Lambda event from Kinesis, SNS or SQS, in order; a KPL aggregate
    gives its user records, in order."""
    records: list[IncomingRecord] = []
    for record in event.get("Records", []):
        source = record.get("eventSource") or record.get("EventSource")
        adapter = ADAPTERS.get(source)
        if adapter is None:
            raise ValueError(f"unsupported event source {source!r}")
        if source == "aws:kinesis":
            records.extend(kinesis_user_records(record))
        else:
            records.append(adapter(record))
    return records


def iterator_age_ms(event: Mapping[str, Any], now: datetime) -> float | None:
    """Age of the batch's last Kinesis record now (Lambda's IteratorAge); None if not Kinesis."""
    records = event.get("Records") or []
    if not records or records[-1].get("eventSource") != "aws:kinesis":
        return None
    arrived = float(records[-1]["kinesis"]["approximateArrivalTimestamp"])
    return round(max(0.0, now.timestamp() - arrived) * 1000, 1)
