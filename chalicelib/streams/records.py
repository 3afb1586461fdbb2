"""One shape for a record of any event source: what a policy needs to know about it."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..domain.errors import InvalidInput
from ..observability.correlation import (
    CorrelationIds,
    from_kinesis_record,
    from_sns_record,
    from_sqs_record,
)

__all__ = ["IncomingRecord", "NotJson", "event_records", "iterator_age_ms"]


class NotJson(InvalidInput):
    """The record's data is not JSON: no retry can fix it."""

    def __init__(self, reason: str) -> None:
        super().__init__("data", f"record data is not JSON ({reason})")


@dataclass(frozen=True)
class IncomingRecord:
    source: str  # aws:kinesis, aws:sns, aws:sqs
    identifier: str  # sequence number (Kinesis), message id (SNS, SQS): batchItemFailures ids
    text: str | None  # the record's data as text, None if it is not UTF-8
    correlation: CorrelationIds
    origin: dict[str, Any] = field(default_factory=dict)  # where it came from, for operators
    raw: Mapping[str, Any] = field(default_factory=dict)

    def payload(self) -> Any:
        if self.text is None:
            raise NotJson("not UTF-8 text")
        try:
            return json.loads(self.text)
        except ValueError as err:
            raise NotJson(str(err)) from None


def _kinesis(record: Mapping[str, Any]) -> IncomingRecord:
    kinesis = record["kinesis"]
    try:
        text: str | None = base64.b64decode(kinesis["data"], validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = None
    return IncomingRecord(
        source="aws:kinesis",
        identifier=kinesis["sequenceNumber"],
        text=text,
        correlation=from_kinesis_record(record),
        origin={
            "eventSourceARN": record.get("eventSourceARN"),
            "eventID": record.get("eventID"),
            "partitionKey": kinesis.get("partitionKey"),
            "sequenceNumber": kinesis["sequenceNumber"],
            "data": kinesis["data"],
        },
        raw=record,
    )


def _sns(record: Mapping[str, Any]) -> IncomingRecord:
    sns = record["Sns"]
    return IncomingRecord(
        source="aws:sns",
        identifier=sns["MessageId"],
        text=sns["Message"],
        correlation=from_sns_record(record),
        origin={"TopicArn": sns.get("TopicArn"), "MessageId": sns["MessageId"]},
        raw=record,
    )


def _sqs(record: Mapping[str, Any]) -> IncomingRecord:
    return IncomingRecord(
        source="aws:sqs",
        identifier=record["messageId"],
        text=record["body"],
        correlation=from_sqs_record(record),
        origin={"eventSourceARN": record.get("eventSourceARN"), "messageId": record["messageId"]},
        raw=record,
    )


def event_records(event: Mapping[str, Any]) -> list[IncomingRecord]:
    """The records of a Lambda event from Kinesis, SNS or SQS, in order."""
    records = []
    for record in event.get("Records", []):
        source = record.get("eventSource") or record.get("EventSource")
        if source == "aws:kinesis":
            records.append(_kinesis(record))
        elif source == "aws:sns":
            records.append(_sns(record))
        elif source == "aws:sqs":
            records.append(_sqs(record))
        else:
            raise ValueError(f"unsupported event source {source!r}")
    return records


def iterator_age_ms(event: Mapping[str, Any], now: datetime) -> float | None:
    """Age of the batch's last Kinesis record now (Lambda's IteratorAge); None if not Kinesis."""
    records = event.get("Records") or []
    if not records or records[-1].get("eventSource") != "aws:kinesis":
        return None
    arrived = float(records[-1]["kinesis"]["approximateArrivalTimestamp"])
    return round(max(0.0, now.timestamp() - arrived) * 1000, 1)
