"""The wire shapes Lambda hands to functions and writes to destinations.

Field for field as in ``shared/aws-events/`` and the Lambda developer guide, so that a
handler (or Powertools' data classes) cannot tell the local runtime from AWS.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime
from typing import Any, TypedDict

__all__ = [
    "AsyncFailureRecord",
    "KinesisBatchInfo",
    "KinesisEvent",
    "KinesisEventRecord",
    "KinesisFailureRecord",
    "KinesisPayload",
    "SnsEvent",
    "SnsEventRecord",
    "SqsEvent",
    "SqsEventRecord",
    "async_result_record",
    "iso_millis",
    "kinesis_failure_record",
    "kinesis_record",
    "sns_record_from_envelope",
    "sqs_record",
]


class KinesisPayload(TypedDict):
    kinesisSchemaVersion: str
    partitionKey: str
    sequenceNumber: str
    data: str
    approximateArrivalTimestamp: float


class KinesisEventRecord(TypedDict):
    kinesis: KinesisPayload
    eventSource: str
    eventVersion: str
    eventID: str
    eventName: str
    invokeIdentityArn: str
    awsRegion: str
    eventSourceARN: str


class KinesisEvent(TypedDict, total=False):
    Records: list[KinesisEventRecord]
    # Tumbling windows only:
    window: dict[str, str]
    state: dict[str, Any]
    shardId: str
    eventSourceARN: str
    isFinalInvokeForWindow: bool
    isWindowTerminatedEarly: bool


class SnsMessageAttribute(TypedDict):
    Type: str
    Value: str


class SnsPayload(TypedDict):
    SignatureVersion: str
    Timestamp: str
    Signature: str
    SigningCertUrl: str
    MessageId: str
    Message: str
    MessageAttributes: dict[str, SnsMessageAttribute]
    Type: str
    UnsubscribeUrl: str
    TopicArn: str
    Subject: str | None


class SnsEventRecord(TypedDict):
    EventVersion: str
    EventSubscriptionArn: str
    EventSource: str
    Sns: SnsPayload


class SnsEvent(TypedDict):
    Records: list[SnsEventRecord]


class SqsEventRecord(TypedDict):
    messageId: str
    receiptHandle: str
    body: str
    attributes: dict[str, str]
    messageAttributes: dict[str, dict[str, Any]]
    md5OfBody: str
    eventSource: str
    eventSourceARN: str
    awsRegion: str


class SqsEvent(TypedDict):
    Records: list[SqsEventRecord]


class RequestContext(TypedDict):
    requestId: str
    functionArn: str
    condition: str
    approximateInvokeCount: int


class ResponseContext(TypedDict, total=False):
    statusCode: int
    executedVersion: str
    functionError: str


class KinesisBatchInfo(TypedDict):
    shardId: str
    startSequenceNumber: str
    endSequenceNumber: str
    approximateArrivalOfFirstRecord: str
    approximateArrivalOfLastRecord: str
    batchSize: int
    streamArn: str


class KinesisFailureRecord(TypedDict):
    requestContext: RequestContext
    responseContext: ResponseContext
    version: str
    timestamp: str
    KinesisBatchInfo: KinesisBatchInfo


class AsyncFailureRecord(TypedDict):
    version: str
    timestamp: str
    requestContext: RequestContext
    requestPayload: Any
    responseContext: ResponseContext
    responsePayload: Any


def iso_millis(epoch_seconds: float) -> str:
    """``2019-11-14T00:38:04.835Z``: the time format of destination records."""
    moment = datetime.fromtimestamp(epoch_seconds, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def kinesis_record(
    *,
    shard_id: str,
    sequence_number: str,
    partition_key: str,
    data: bytes,
    arrival: float,
    stream_arn: str,
    region: str,
    invoke_identity_arn: str,
) -> KinesisEventRecord:
    """One record of a Kinesis batch event, data base64 as Lambda sends it."""
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": partition_key,
            "sequenceNumber": sequence_number,
            "data": base64.b64encode(data).decode("ascii"),
            "approximateArrivalTimestamp": arrival,
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"{shard_id}:{sequence_number}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": invoke_identity_arn,
        "awsRegion": region,
        "eventSourceARN": stream_arn,
    }


def sns_record_from_envelope(envelope: dict[str, Any], subscription_arn: str) -> SnsEventRecord:
    """Turn the JSON envelope SNS delivers to an SQS queue into Lambda's SNS record.

    The envelope spells ``SigningCertURL``/``UnsubscribeURL``; Lambda's event spells
    ``SigningCertUrl``/``UnsubscribeUrl`` and always carries ``Subject`` (null if none).
    """
    attributes: dict[str, SnsMessageAttribute] = {
        name: {"Type": str(value.get("Type", "String")), "Value": str(value.get("Value", ""))}
        for name, value in (envelope.get("MessageAttributes") or {}).items()
    }
    return {
        "EventVersion": "1.0",
        "EventSubscriptionArn": subscription_arn,
        "EventSource": "aws:sns",
        "Sns": {
            "SignatureVersion": str(envelope.get("SignatureVersion", "1")),
            "Timestamp": str(envelope.get("Timestamp", "")),
            "Signature": str(envelope.get("Signature", "")),
            "SigningCertUrl": str(
                envelope.get("SigningCertURL", envelope.get("SigningCertUrl", ""))
            ),
            "MessageId": str(envelope.get("MessageId", "")),
            "Message": str(envelope.get("Message", "")),
            "MessageAttributes": attributes,
            "Type": str(envelope.get("Type", "Notification")),
            "UnsubscribeUrl": str(
                envelope.get("UnsubscribeURL", envelope.get("UnsubscribeUrl", ""))
            ),
            "TopicArn": str(envelope.get("TopicArn", "")),
            "Subject": envelope.get("Subject"),
        },
    }


_SQS_RECORD_ATTRIBUTES = (
    "ApproximateReceiveCount",
    "SentTimestamp",
    "SenderId",
    "ApproximateFirstReceiveTimestamp",
    "SequenceNumber",
    "MessageGroupId",
    "MessageDeduplicationId",
    "AWSTraceHeader",
    "DeadLetterQueueSourceArn",
)


def sqs_record(message: dict[str, Any], queue_arn: str, region: str) -> SqsEventRecord:
    """Lambda's SQS record from a ReceiveMessage result (attributes in camelCase form)."""
    attributes = message.get("Attributes") or {}
    message_attributes: dict[str, dict[str, Any]] = {}
    for name, value in (message.get("MessageAttributes") or {}).items():
        entry: dict[str, Any] = {
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": value.get("DataType", "String"),
        }
        if "StringValue" in value:
            entry["stringValue"] = value["StringValue"]
        if "BinaryValue" in value:
            entry["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode("ascii")
        message_attributes[name] = entry
    body = message.get("Body", "")
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": body,
        "attributes": {k: attributes[k] for k in _SQS_RECORD_ATTRIBUTES if k in attributes},
        "messageAttributes": message_attributes,
        "md5OfBody": message.get("MD5OfBody") or hashlib.md5(body.encode()).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def kinesis_failure_record(
    *,
    request_id: str,
    function_arn: str,
    condition: str,
    invoke_count: int,
    function_error: str | None,
    records: list[KinesisEventRecord],
    shard_id: str,
    stream_arn: str,
    now: float,
) -> KinesisFailureRecord:
    """The on-failure destination record of a Kinesis batch: where it lies, not its data."""
    first, last = records[0]["kinesis"], records[-1]["kinesis"]
    response: ResponseContext = {"statusCode": 200, "executedVersion": "$LATEST"}
    if function_error:
        response["functionError"] = function_error
    return {
        "requestContext": {
            "requestId": request_id,
            "functionArn": function_arn,
            "condition": condition,
            "approximateInvokeCount": invoke_count,
        },
        "responseContext": response,
        "version": "1.0",
        "timestamp": iso_millis(now),
        "KinesisBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": first["sequenceNumber"],
            "endSequenceNumber": last["sequenceNumber"],
            "approximateArrivalOfFirstRecord": iso_millis(first["approximateArrivalTimestamp"]),
            "approximateArrivalOfLastRecord": iso_millis(last["approximateArrivalTimestamp"]),
            "batchSize": len(records),
            "streamArn": stream_arn,
        },
    }


def async_result_record(
    *,
    request_id: str,
    function_arn: str,
    condition: str,
    invoke_count: int,
    payload: Any,
    function_error: str | None,
    response_payload: Any,
    now: float,
) -> AsyncFailureRecord:
    """The destination record of an asynchronous invocation (failure or success)."""
    response: ResponseContext = {"statusCode": 200, "executedVersion": "$LATEST"}
    if function_error:
        response["functionError"] = function_error
    return {
        "version": "1.0",
        "timestamp": iso_millis(now),
        "requestContext": {
            "requestId": request_id,
            "functionArn": f"{function_arn}:$LATEST",
            "condition": condition,
            "approximateInvokeCount": invoke_count,
        },
        "requestPayload": payload,
        "responseContext": response,
        "responsePayload": response_payload,
    }


def json_size(value: Any) -> int:
    """Bytes of ``value`` as a JSON payload: what Lambda's 6 MB limit counts."""
    return len(json.dumps(value, separators=(",", ":")).encode())
