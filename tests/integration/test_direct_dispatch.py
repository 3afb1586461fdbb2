"""The emulator's direct dispatch (``devstack.direct_dispatch``): DynamoDB's, SQS's and
Kinesis's calls, answered without moto's Flask application, answer over HTTP as stock
moto does: the same status, body and headers of moto's.

Two emulators side by side: one as ``start_emulator`` starts it, one stock (moto's own
server). Each call goes to both through boto3, and botocore's ``after-call`` event hands
over each raw answer. What each server stamps itself is set aside: the date, the request
id, the server's name and ``Connection: close`` (werkzeug's development server), and the
endpoint's port in SQS's queue URLs. Stock moto's answers also carry Flask's CORS
header, which the direct dispatch does not run: its absence shows which path answered.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError

from devstack.emulator import Emulator, start_emulator

pytestmark = pytest.mark.emulator

STAMPED = frozenset({"date", "x-amzn-requestid", "server", "connection"})
CORS = "access-control-allow-origin"


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: Any


@dataclass
class Pair:
    direct: Emulator
    stock: Emulator


@pytest.fixture(scope="module")
def emulators() -> Iterator[Pair]:
    stock = start_emulator(request_log=False, query_index=False)
    try:
        direct = start_emulator(request_log=False)
        try:
            yield Pair(direct, stock)
        finally:
            direct.stop()
    finally:
        stock.stop()


def _raw(emulator: Emulator, service: str, operation: str, **kwargs: Any) -> Any:
    """The raw HTTP answer to one boto3 call (botocore's ``after-call`` event)."""
    client = emulator.client(service)
    seen: list[Any] = []
    client.meta.events.register("after-call", lambda http_response, **_: seen.append(http_response))
    with contextlib.suppress(ClientError):  # an error's answer is compared like any other
        getattr(client, operation)(**kwargs)
    (raw,) = seen
    return raw


def _answer(emulator: Emulator, service: str, operation: str, **kwargs: Any) -> Answer:
    raw = _raw(emulator, service, operation, **kwargs)
    body = raw.content.decode().replace(f":{emulator.port}/", ":<port>/")
    return Answer(raw.status_code, {k.lower(): v for k, v in raw.headers.items()}, json.loads(body))


def _both(pair: Pair, service: str, operation: str, **kwargs: Any) -> tuple[Answer, Answer]:
    direct = _answer(pair.direct, service, operation, **kwargs)
    stock = _answer(pair.stock, service, operation, **kwargs)
    assert CORS not in direct.headers, f"{operation} went through Flask"
    assert stock.headers.pop(CORS) == "*"
    for answer in (direct, stock):
        for name in STAMPED:
            answer.headers.pop(name, None)
    return direct, stock


KEY = {"user_id": {"S": "u1"}, "yubl_id": {"S": "y1"}}
ITEM = {**KEY, "text": {"S": "hello"}}


def test_dynamodb_calls_and_errors_answer_as_stock_moto_does(emulators: Pair) -> None:
    table = {
        "TableName": "feeds",
        "KeySchema": [
            {"AttributeName": "user_id", "KeyType": "HASH"},
            {"AttributeName": "yubl_id", "KeyType": "RANGE"},
        ],
        "AttributeDefinitions": [
            {"AttributeName": "user_id", "AttributeType": "S"},
            {"AttributeName": "yubl_id", "AttributeType": "S"},
        ],
        "BillingMode": "PAY_PER_REQUEST",
    }
    direct, stock = _both(emulators, "dynamodb", "create_table", **table)
    assert (direct.status, direct.body["TableDescription"]["TableName"]) == (200, "feeds")
    assert direct.headers.keys() == stock.headers.keys()
    calls: list[tuple[str, dict[str, Any], int]] = [
        ("put_item", {"TableName": "feeds", "Item": ITEM}, 200),
        ("get_item", {"TableName": "feeds", "Key": KEY, "ConsistentRead": True}, 200),
        (
            "query",
            {
                "TableName": "feeds",
                "KeyConditionExpression": "user_id = :u",
                "ExpressionAttributeValues": {":u": {"S": "u1"}},
            },
            200,
        ),
        ("batch_get_item", {"RequestItems": {"feeds": {"Keys": [KEY]}}}, 200),
        ("batch_write_item", {"RequestItems": {"feeds": [{"DeleteRequest": {"Key": KEY}}]}}, 200),
        # errors: a missing table, a failed condition, a key of the wrong type
        ("describe_table", {"TableName": "missing"}, 400),
        (
            "put_item",
            {"TableName": "feeds", "Item": ITEM, "ConditionExpression": "attribute_exists(text)"},
            400,
        ),
        ("get_item", {"TableName": "feeds", "Key": {"user_id": {"N": "1"}}}, 400),
    ]
    for operation, kwargs, status in calls:
        direct, stock = _both(emulators, "dynamodb", operation, **kwargs)
        assert direct == stock, operation
        assert direct.status == status, operation
    assert direct.body["__type"].endswith("#ValidationException")


def test_sqs_calls_and_errors_answer_as_stock_moto_does(emulators: Pair) -> None:
    direct, stock = _both(emulators, "sqs", "create_queue", QueueName="deliveries")
    assert direct == stock
    assert direct.body == {"QueueUrl": "http://127.0.0.1:<port>/123456789012/deliveries"}
    urls = {
        emulator.port: emulator.client("sqs").get_queue_url(QueueName="deliveries")["QueueUrl"]
        for emulator in (emulators.direct, emulators.stock)
    }
    for emulator in (emulators.direct, emulators.stock):
        emulator.client("sqs").send_message(QueueUrl=urls[emulator.port], MessageBody="m")

    direct, stock = _both(emulators, "sqs", "get_queue_url", QueueName="missing")
    assert direct == stock
    assert (direct.status, direct.body["__type"]) == (400, "com.amazonaws.sqs#QueueDoesNotExist")

    answers = [
        _answer(emulator, "sqs", "receive_message", QueueUrl=urls[emulator.port])
        for emulator in (emulators.direct, emulators.stock)
    ]
    (got,), (want,) = (answer.body["Messages"] for answer in answers)
    assert got["Body"] == want["Body"] == "m"
    assert got["MD5OfBody"] == want["MD5OfBody"]
    assert got.keys() == want.keys()  # the ids and receipt handles are each server's own


def test_kinesis_calls_and_errors_answer_as_stock_moto_does(emulators: Pair) -> None:
    calls: list[tuple[str, dict[str, Any], int]] = [
        ("create_stream", {"StreamName": "yubls", "ShardCount": 1}, 200),
        ("put_record", {"StreamName": "yubls", "Data": b"{}", "PartitionKey": "u1"}, 200),
        ("list_shards", {"StreamName": "yubls"}, 200),
        ("describe_stream_summary", {"StreamName": "missing"}, 400),
    ]
    for operation, kwargs, status in calls:
        direct, stock = _both(emulators, "kinesis", operation, **kwargs)
        assert direct == stock, operation
        assert direct.status == status, operation
    assert direct.body["__type"] == "ResourceNotFoundException"


def test_other_services_still_go_through_moto_s_application(emulators: Pair) -> None:
    raw = _raw(emulators.direct, "sns", "create_topic", Name="feed")

    assert raw.status_code == 200
    assert raw.headers[CORS] == "*"  # Flask's CORS hook ran
