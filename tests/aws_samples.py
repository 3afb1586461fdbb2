"""The Lambda developer guide's sample events and destination records (also in the team's
shared aws-events/), for tests that compare shapes or read Lambda's own records."""

from __future__ import annotations

import base64
import copy
from typing import Any

__all__ = [
    "KINESIS_FAILURE_SAMPLE",
    "KINESIS_SAMPLE",
    "POISON_DATA",
    "SNS_SAMPLE",
    "SQS_SAMPLE",
    "kinesis_event",
    "kinesis_record",
    "shape",
    "sns_event",
    "sns_record",
    "sqs_record",
]

KINESIS_SAMPLE = {
    "Records": [
        {
            "kinesis": {
                "kinesisSchemaVersion": "1.0",
                "partitionKey": "partitionKey-3",
                "sequenceNumber": "49545115243490985018280067714973144582180062593244200961",
                "data": "SGVsbG8sIHRoaXMgaXMgYSB0ZXN0IDEyMy4=",
                "approximateArrivalTimestamp": 1545084650.987,
            },
            "eventSource": "aws:kinesis",
            "eventVersion": "1.0",
            "eventID": "shardId-000000000000:4954511524349098501828006771497314458218006259",
            "eventName": "aws:kinesis:record",
            "invokeIdentityArn": "arn:aws:iam::123456789012:role/lambda-role",
            "awsRegion": "us-west-2",
            "eventSourceARN": "arn:aws:kinesis:us-west-2:123456789012:stream/examplestream",
        }
    ]
}

KINESIS_FAILURE_SAMPLE = {
    "requestContext": {
        "requestId": "c9b8fa9f-5a7f-xmpl-af9c-0c604cde93a5",
        "functionArn": "arn:aws:lambda:us-east-2:123456789012:function:myfunction",
        "condition": "RetryAttemptsExhausted",
        "approximateInvokeCount": 1,
    },
    "responseContext": {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    },
    "version": "1.0",
    "timestamp": "2019-11-14T00:38:06.021Z",
    "KinesisBatchInfo": {
        "shardId": "shardId-000000000001",
        "startSequenceNumber": "49601189658422359378836298521827638475320189012309704722",
        "endSequenceNumber": "49601189658422359378836298522902373528957594348623495186",
        "approximateArrivalOfFirstRecord": "2019-11-14T00:38:04.835Z",
        "approximateArrivalOfLastRecord": "2019-11-14T00:38:05.580Z",
        "batchSize": 500,
        "streamArn": "arn:aws:kinesis:us-east-2:123456789012:stream/mystream",
    },
}

SNS_SAMPLE = {
    "Records": [
        {
            "EventVersion": "1.0",
            "EventSubscriptionArn": "arn:aws:sns:us-east-2:123456789012:sns-lambda:21be56ed",
            "EventSource": "aws:sns",
            "Sns": {
                "SignatureVersion": "1",
                "Timestamp": "2019-01-02T12:45:07.000Z",
                "Signature": "tcc6faL2yUC6dgZdmrwh1Y4cGa/ebXEkAi6RibDsvpi+tE/1+82j...65r==",
                "SigningCertUrl": "https://sns.us-east-2.amazonaws.com/SimpleNotificationService-ac5.pem",
                "MessageId": "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
                "Message": "Hello from SNS!",
                "MessageAttributes": {
                    "Test": {"Type": "String", "Value": "TestString"},
                    "TestBinary": {"Type": "Binary", "Value": "TestBinary"},
                },
                "Type": "Notification",
                "UnsubscribeUrl": "https://sns.us-east-2.amazonaws.com/?Action=Unsubscribe",
                "TopicArn": "arn:aws:sns:us-east-2:123456789012:sns-lambda",
                "Subject": "TestInvoke",
            },
        }
    ]
}

SQS_SAMPLE = {
    "Records": [
        {
            "messageId": "059f36b4-87a3-44ab-83d2-661975830a7d",
            "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a...",
            "body": "Test message.",
            "attributes": {
                "ApproximateReceiveCount": "1",
                "SentTimestamp": "1545082649183",
                "SenderId": "AIDAIENQZJOLO23YVJ4VO",
                "ApproximateFirstReceiveTimestamp": "1545082649185",
            },
            "messageAttributes": {
                "myAttribute": {
                    "stringValue": "myValue",
                    "stringListValues": [],
                    "binaryListValues": [],
                    "dataType": "String",
                }
            },
            "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-2:123456789012:my-queue",
            "awsRegion": "us-east-2",
        }
    ]
}


def shape(value: Any) -> Any:
    """Keys kept, leaves replaced by their type name, lists by the shape of each item."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(item) for item in value]
    return type(value).__name__


# -- records built from the samples, for unit tests -------------------------------------

POISON_DATA = KINESIS_SAMPLE["Records"][0]["kinesis"]["data"]  # "Hello, this is a test 123."


def kinesis_record(
    data: bytes | None = None, sequence_number: str = "1", partition_key: str = "partitionKey-3"
) -> dict[str, Any]:
    """The sample Kinesis record with this data (None keeps the poison data) and number."""
    record: dict[str, Any] = copy.deepcopy(KINESIS_SAMPLE["Records"][0])
    if data is not None:
        record["kinesis"]["data"] = base64.b64encode(data).decode()
    record["kinesis"]["sequenceNumber"] = sequence_number
    record["kinesis"]["partitionKey"] = partition_key
    record["eventID"] = f"shardId-000000000000:{sequence_number}"
    return record


def kinesis_event(*records: dict[str, Any]) -> dict[str, Any]:
    return {"Records": list(records)}


def sns_record(attributes: dict[str, Any], message: str = "Hello from SNS!") -> dict[str, Any]:
    """The sample SNS record with this message and these message attributes."""
    record: dict[str, Any] = copy.deepcopy(SNS_SAMPLE["Records"][0])
    record["Sns"]["Message"] = message
    record["Sns"]["MessageAttributes"] = attributes
    return record


def sns_event(attributes: dict[str, Any], message: str = "Hello from SNS!") -> dict[str, Any]:
    return {"Records": [sns_record(attributes, message)]}


def sqs_record(attributes: dict[str, Any], body: str = "{}") -> dict[str, Any]:
    """The sample SQS record with this body and these message attributes."""
    record: dict[str, Any] = copy.deepcopy(SQS_SAMPLE["Records"][0])
    record["body"] = body
    record["messageAttributes"] = attributes
    return record
