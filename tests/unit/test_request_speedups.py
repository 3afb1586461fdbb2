"""The emulator reads DynamoDB requests' items as moto's own parser reads them
(devstack.request_speedups).

Both paths run in this process: random requests of every operation that carries items
(PutItem, UpdateItem, DeleteItem, GetItem, BatchWriteItem, BatchGetItem, Query, Scan,
TransactWriteItems, TransactGetItems), whose ``AttributeValue``s are of every type,
nested in maps and lists, with base64 binary values, empty strings and sets, falsy
booleans and JSON nulls, are read by moto's parser with and without the change, and the
results must be equal, types included. Malformed values fail the same way on both.
Checked to fail: reading ``B`` without the blob parser, or dropping a None member of
``L``, each broke the comparison.
"""

from __future__ import annotations

import base64
import json
import random
from typing import Any

import pytest
from botocore.model import ShapeResolver
from moto.core.parse import JSONParser
from moto.core.utils import get_service_model

from devstack import request_speedups

from .attribute_values import random_value, typed


def _wire(value: Any) -> Any:
    """A random value as a client sends it: binary values in base64."""
    if value is None:
        return None
    if "B" in value:
        raw = value["B"] if isinstance(value["B"], bytes) else value["B"].encode()
        return {"B": base64.b64encode(raw).decode()}
    if "BS" in value:
        return {"BS": [base64.b64encode(x).decode() for x in value["BS"]]}
    if "M" in value:
        return {"M": {key: _wire(x) for key, x in value["M"].items()}}
    if "L" in value:
        return {"L": [_wire(x) for x in value["L"]]}
    return value


def _item(draw: random.Random) -> dict[str, Any]:
    return {f"a{n}": _wire(random_value(draw)) for n in range(draw.randint(1, 6))}


def _requests(draw: random.Random) -> list[tuple[str, dict[str, Any]]]:
    key = {"pk": {"S": "k"}, "sk": _wire(random_value(draw))}
    values = {":v": _wire(random_value(draw)), ":w": {"N": "1"}}
    return [
        ("PutItem", {"TableName": "t", "Item": _item(draw), "ExpressionAttributeValues": values}),
        ("UpdateItem", {"TableName": "t", "Key": key, "ExpressionAttributeValues": values}),
        ("DeleteItem", {"TableName": "t", "Key": key, "Expected": {"a0": {"Value": values[":v"]}}}),
        ("GetItem", {"TableName": "t", "Key": key}),
        (
            "BatchWriteItem",
            {
                "RequestItems": {
                    "t": [{"PutRequest": {"Item": _item(draw)}} for _ in range(5)]
                    + [{"DeleteRequest": {"Key": key}}]
                }
            },
        ),
        ("BatchGetItem", {"RequestItems": {"t": {"Keys": [_item(draw) for _ in range(5)]}}}),
        (
            "Query",
            {
                "TableName": "t",
                "ExclusiveStartKey": key,
                "ExpressionAttributeValues": values,
                "QueryFilter": {
                    "a0": {"ComparisonOperator": "IN", "AttributeValueList": [values[":v"]]}
                },
            },
        ),
        ("Scan", {"TableName": "t", "ExclusiveStartKey": key, "Limit": 3}),
        (
            "TransactWriteItems",
            {
                "TransactItems": [
                    {"Put": {"TableName": "t", "Item": _item(draw)}},
                    {
                        "Update": {
                            "TableName": "t",
                            "Key": key,
                            "UpdateExpression": "SET a = :v",
                            "ExpressionAttributeValues": values,
                        }
                    },
                ]
            },
        ),
        ("TransactGetItems", {"TransactItems": [{"Get": {"TableName": "t", "Key": key}}]}),
    ]


def _read(operation: str, body: Any) -> Any:
    parser = JSONParser(get_service_model("dynamodb").operation_model(operation))
    wire = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = {"method": "POST", "values": {}, "headers": {}, "body": wire, "url_path": "/"}
    return parser.parse({**request, "url_params": {}})  # type: ignore[typeddict-item]


def test_random_requests_are_read_as_moto_reads_them(moto_own_code):
    draw = random.Random(2026)
    requests = [request for _ in range(60) for request in _requests(draw)]
    stock = [typed(_read(operation, body)) for operation, body in requests]
    request_speedups.install()
    assert [typed(_read(operation, body)) for operation, body in requests] == stock


@pytest.mark.parametrize(
    "item",
    [
        {"a": "not a map"},
        {"a": {"B": "not base64!"}},
        {"a": {"L": [5]}},
        {"a": {"M": ["not", "a", "map"]}},
        {"a": {"SS": 7}},
    ],
)
def test_a_malformed_value_fails_as_moto_fails_it(moto_own_code, item):
    body = {"TableName": "t", "Item": item}
    with pytest.raises(Exception) as stock:
        _read("PutItem", body)
    request_speedups.install()
    with pytest.raises(type(stock.value)) as changed:
        _read("PutItem", body)
    assert str(changed.value) == str(stock.value)


def test_only_dynamodbs_attribute_value_is_read_directly():
    dynamodb = get_service_model("dynamodb")
    assert request_speedups.reads_directly(dynamodb.shape_for("AttributeValue"))
    assert not request_speedups.reads_directly(dynamodb.shape_for("Condition"))
    members = {name: {"shape": "Text"} for name in ("S", "N", "B", "SS", "NS", "BS", "M", "L")}
    other = ShapeResolver(
        {
            "AttributeValue": {
                "type": "structure",
                "members": {**members, "NULL": {"shape": "Text"}, "BOOL": {"shape": "Text"}},
            },
            "Text": {"type": "string"},
        }
    ).get_shape_by_name("AttributeValue")
    assert not request_speedups.reads_directly(other)
