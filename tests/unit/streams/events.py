"""Lambda events of the exact AWS shapes, built for tests (real sequence numbers)."""

from __future__ import annotations

import base64
import json
from typing import Any

STREAM_ARN = "arn:aws:kinesis:us-east-1:123456789012:stream/yubl-posted-test"


def kinesis_record(data: bytes | dict[str, Any], sequence: int, key: str = "pk") -> dict[str, Any]:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    number = f"{49545115243490985018280067714973144582180062593244200961 + sequence}"
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": key,
            "sequenceNumber": number,
            "data": base64.b64encode(raw).decode(),
            "approximateArrivalTimestamp": 1545084650.987,
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"shardId-000000000000:{number}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": "arn:aws:iam::123456789012:role/lambda-role",
        "awsRegion": "us-east-1",
        "eventSourceARN": STREAM_ARN,
    }


def kinesis_event(*records: dict[str, Any]) -> dict[str, Any]:
    return {"Records": list(records)}


def sns_event(message: str, attributes: dict[str, str] | None = None, message_id: str = "m-1"):
    return {
        "Records": [
            {
                "EventVersion": "1.0",
                "EventSubscriptionArn": "arn:aws:sns:us-east-1:123456789012:t:sub",
                "EventSource": "aws:sns",
                "Sns": {
                    "SignatureVersion": "1",
                    "Timestamp": "2019-01-02T12:45:07.000Z",
                    "Signature": "x",
                    "SigningCertUrl": "https://example.invalid/cert.pem",
                    "MessageId": message_id,
                    "Message": message,
                    "MessageAttributes": {
                        k: {"Type": "String", "Value": v} for k, v in (attributes or {}).items()
                    },
                    "Type": "Notification",
                    "UnsubscribeUrl": "https://example.invalid/unsub",
                    "TopicArn": "arn:aws:sns:us-east-1:123456789012:t",
                    "Subject": None,
                },
            }
        ]
    }
