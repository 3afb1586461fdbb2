"""The emulator's speed-ups answer exactly as moto's own code does (devstack.emulator_speedups).

Both paths run in this process: random ``AttributeValue``s of every type, nested in maps
and lists, with binary values, empty strings and sets, falsy booleans and nulls, are
written by moto's generic serializer and by the fast path, and the bodies must be the
same bytes. The routing cache answers what moto's routing answers for every host.
Checked to fail: writing ``B`` without base64, or keeping a None map value, each broke the
comparison.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
from moto.core.serialize import XFormedAttributePicker, get_serializer_class
from moto.core.utils import get_service_model
from moto.moto_server.werkzeug_app import DomainDispatcherApplication

from devstack import emulator_speedups


@pytest.fixture
def both() -> Iterator[None]:
    """moto's own code at the start (the test installs the fast path), and afterwards the
    state it found."""
    was = emulator_speedups.installed()
    emulator_speedups.uninstall()
    yield
    emulator_speedups.uninstall()
    if was:
        emulator_speedups.install()


def _value(draw: random.Random, depth: int = 0) -> dict:
    kinds = ["S", "N", "B", "SS", "NS", "BS", "NULL", "BOOL"] + (["M", "L"] if depth < 3 else [])
    kind = draw.choice(kinds)
    text = "".join(draw.choice('aé\u20ac💡 \n"\\x') for _ in range(draw.randint(0, 6)))
    if kind == "S":
        return {"S": text}
    if kind == "N":
        return {"N": str(draw.choice([0, -1, 1.5, 10**20, draw.random()]))}
    if kind == "B":
        return {
            "B": draw.choice([text.encode(), bytes(draw.randint(0, 255) for _ in range(5)), text])
        }
    if kind == "SS":
        return {"SS": [text, text + "1"]}
    if kind == "NS":
        return {"NS": ["1", "2.5"]}
    if kind == "BS":
        return {"BS": [b"\x00\x01", text.encode() + b"!"]}
    if kind == "NULL":
        return {"NULL": True}
    if kind == "BOOL":
        return {"BOOL": draw.choice([True, False])}
    if kind == "M":
        members = {f"k{n}{text}": _value(draw, depth + 1) for n in range(draw.randint(0, 3))}
        if draw.random() < 0.2:
            members["gone"] = None
        return {"M": members}
    items: list = [_value(draw, depth + 1) for _ in range(draw.randint(0, 3))]
    if draw.random() < 0.2:
        items.append(None)
    return {"L": items}


def _query_result(draw: random.Random) -> dict:
    items = [
        {f"a{n}": _value(draw) for n in range(draw.randint(1, 5))}
        for _ in range(draw.randint(0, 5))
    ]
    return {"Items": items, "Count": len(items), "ScannedCount": len(items)}


def _written(operation: str, result: dict) -> str:
    model = get_service_model("dynamodb")
    serializer = get_serializer_class("dynamodb", "json")(
        operation_model=model.operation_model(operation),
        pretty_print=False,
        value_picker=XFormedAttributePicker(response_transformers=None),
    )
    return serializer.serialize(result)["body"]


def test_random_items_are_written_byte_for_byte_as_moto_writes_them(both):
    draw = random.Random(2026)
    results = [_query_result(draw) for _ in range(300)]
    stock = [_written("Query", result) for result in results]
    emulator_speedups.install()
    assert [_written("Query", result) for result in results] == stock
    batch = {"Responses": {"t": results[0]["Items"]}, "UnprocessedKeys": {}}
    emulator_speedups.uninstall()
    expected = _written("BatchGetItem", batch)
    emulator_speedups.install()
    assert _written("BatchGetItem", batch) == expected


def test_the_routing_cache_answers_as_moto_routes(both):
    app = DomainDispatcherApplication(lambda service: None)
    hosts = [
        None,
        "moto_api",
        "dynamodb",
        "dynamodb.us-east-1.amazonaws.com",
        "sqs.us-east-1.amazonaws.com",
        "sns.eu-west-1.amazonaws.com",
        "kinesis.us-east-1.amazonaws.com",
        "s3.amazonaws.com",
        "bucket.s3.amazonaws.com",
        "cognito-idp.us-east-1.amazonaws.com",
        "nothing.example.com",
    ]
    stock = [app.get_backend_for_host(host) for host in hosts]
    emulator_speedups.install()
    assert [app.get_backend_for_host(host) for host in hosts] * 2 == stock * 2
