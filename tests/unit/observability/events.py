"""Lambda event records of the shapes in ``../shared/aws-events/``, built in code.

Kept inside the repository so the tests do not depend on a directory beside it.
"""

from __future__ import annotations

import base64
from typing import Any

__all__ = ["POISON_DATA", "kinesis_record", "sns_event", "sns_record", "sqs_record"]

POISON_DATA = "SGVsbG8sIHRoaXMgaXMgYSB0ZXN0IDEyMy4="  # "Hello, this is a test 123."


def kinesis_record(data: bytes | None = None, sequence_number: str = "1") -> dict[str, Any]:
    """One record of a Kinesis batch event; ``data`` None gives the poison record."""
    encoded = POISON_DATA if data is None else base64.b64encode(data).decode()
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": "partitionKey-3",
            "sequenceNumber": sequence_number,
            "data": encoded,
            "approximateArrivalTimestamp": 1545084650.987,
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"shardId-000000000000:{sequence_number}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": "arn:aws:iam::123456789012:role/lambda-role",
        "awsRegion": "us-west-2",
        "eventSourceARN": "arn:aws:kinesis:us-west-2:123456789012:stream/examplestream",
    }


def sns_record(attributes: dict[str, Any], message: str = "Hello from SNS!") -> dict[str, Any]:
    """The one record of an SNS notification event, with these message attributes."""
    return {
        "EventVersion": "1.0",
        "EventSubscriptionArn": "arn:aws:sns:us-east-2:123456789012:sns-lambda:21be56ed",
        "EventSource": "aws:sns",
        "Sns": {
            "SignatureVersion": "1",
            "Timestamp": "2019-01-02T12:45:07.000Z",
            "Signature": "tcc6faL2yUC6dgZdmrwh1Y4cGa/ebXEkAi6RibDsvpi+tE/1+82j...65r==",
            "SigningCertUrl": "https://sns.us-east-2.amazonaws.com/cert.pem",
            "MessageId": "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
            "Message": message,
            "MessageAttributes": attributes,
            "Type": "Notification",
            "UnsubscribeUrl": "https://sns.us-east-2.amazonaws.com/?Action=Unsubscribe",
            "TopicArn": "arn:aws:sns:us-east-2:123456789012:sns-lambda",
            "Subject": "TestInvoke",
        },
    }


def sns_event(attributes: dict[str, Any], message: str = "Hello from SNS!") -> dict[str, Any]:
    return {"Records": [sns_record(attributes, message)]}


def sqs_record(attributes: dict[str, Any], body: str = "{}") -> dict[str, Any]:
    """One record of an SQS event, with these message attributes."""
    return {
        "messageId": "059f36b4-87a3-44ab-83d2-661975830a7d",
        "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a...",
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1545082649183",
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": "1545082649185",
        },
        "messageAttributes": attributes,
        "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-2:123456789012:my-queue",
        "awsRegion": "us-east-2",
    }
