"""The emulator's speed-ups answer exactly as moto's own code does (devstack.emulator_speedups).

Both paths run in this process: random ``AttributeValue``s of every type, nested in maps
and lists, with binary values, empty strings and sets, falsy booleans and nulls, are
written by moto's generic serializer and by the fast path, and the bodies must be the
same bytes. The routing cache answers what moto's routing answers for every host, and each
handler's methods are listed as moto lists them. A Query's page holds the answer moto
gives, and changing its items leaves the table as it was.
Checked to fail: writing ``B`` without base64, or keeping a None map value, each broke the
comparison.
"""

from __future__ import annotations

import copy
import random
import threading
from typing import Any

from moto.core.serialize import XFormedAttributePicker, get_serializer_class
from moto.core.utils import get_service_model
from moto.moto_server.werkzeug_app import DomainDispatcherApplication

from devstack import emulator_speedups

from .attribute_values import random_value, storable


def _query_result(draw: random.Random) -> dict:
    items = [_item(draw) for _ in range(draw.randint(0, 5))]
    return {"Items": items, "Count": len(items), "ScannedCount": len(items)}


def _item(draw: random.Random) -> dict:
    """Random attributes, now and then one whose value is None, whose name is empty or
    whose value has a member the model does not know (moto writes each by its own rules)."""
    item: dict = {f"a{n}": random_value(draw) for n in range(draw.randint(1, 5))}
    if draw.random() < 0.1:
        item["gone"] = None
    if draw.random() < 0.05:
        item[""] = random_value(draw)
    if draw.random() < 0.05:
        item["odd"] = {"Q": "a member the model does not have"}
    return item


def _written(operation: str, result: dict) -> str:
    model = get_service_model("dynamodb")
    serializer = get_serializer_class("dynamodb", "json")(
        operation_model=model.operation_model(operation),
        pretty_print=False,
        value_picker=XFormedAttributePicker(response_transformers=None),
    )
    return serializer.serialize(result)["body"]


def test_random_items_are_written_byte_for_byte_as_moto_writes_them(moto_own_code):
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


def test_the_routing_cache_answers_as_moto_routes(moto_own_code):
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


def test_each_handler_lists_the_methods_moto_lists_for_it(moto_own_code):
    from moto.core import responses
    from moto.dynamodb.responses import DynamoHandler
    from moto.kinesis.responses import KinesisResponse
    from moto.sns.responses import SNSResponse
    from moto.sqs.responses import SQSResponse

    handlers = [DynamoHandler, SQSResponse, SNSResponse, KinesisResponse]
    stock = [set(responses.method_names_from_class(h)) for h in handlers]
    assert all("call_action" in names for names in stock)  # inherited ones count too
    emulator_speedups.install()
    for handler, names in zip(handlers * 2, stock * 2, strict=True):
        listed = responses.method_names_from_class(handler)
        assert listed == names
        assert "get_item" in listed if handler is DynamoHandler else "get_item" not in listed
    emulator_speedups.uninstall()
    assert isinstance(responses.method_names_from_class(DynamoHandler), list)  # moto's own


def test_a_known_accounts_backend_is_found_without_moto_lock(moto_own_code):
    from moto.core.base_backend import backend_lock
    from moto.dynamodb.models import dynamodb_backends

    emulator_speedups.install()
    known = dynamodb_backends["123456789012"]  # made, under the lock, as moto makes it
    found: list[Any] = []
    with backend_lock:  # held, as another request's lookup would hold it
        lookup = threading.Thread(target=lambda: found.append(dynamodb_backends["123456789012"]))
        lookup.start()
        lookup.join(timeout=10)
        assert not lookup.is_alive(), "the lookup waited for the lock"
    assert found == [known]
    assert found[0] is known
    new = dynamodb_backends["210987654321"]  # an account not seen yet: moto's path
    assert new is dynamodb_backends["210987654321"] and new is not known


def _table_of_random_items(draw: random.Random) -> Any:
    from moto.dynamodb.models.table import Table

    table = Table(
        "t",
        "123456789012",
        "us-east-1",
        schema=[
            {"AttributeName": "u", "KeyType": "HASH"},
            {"AttributeName": "y", "KeyType": "RANGE"},
        ],
        attr=[
            {"AttributeName": "u", "AttributeType": "S"},
            {"AttributeName": "y", "AttributeType": "S"},
        ],
    )
    for n in range(60):
        attrs = {f"a{k}": storable(random_value(draw)) for k in range(draw.randint(0, 4))}
        table.put_item({"u": {"S": f"u{n % 3}"}, "y": {"S": f"y{n:03}"}, **attrs})
    return table


def _pages(table: Any) -> list[list[dict]]:
    from moto.dynamodb.models.dynamo_type import DynamoType

    pages = []
    for user, forward, limit, projection in [
        ("u0", True, None, None),
        ("u1", False, 7, None),
        ("u2", True, 5, [["y"], ["a1"]]),
    ]:
        items, _, _ = table.query(
            DynamoType({"S": user}), None, [], limit, None, forward, projection
        )
        pages.append([item.to_json()["Attributes"] for item in items])
    return pages


def test_a_query_page_answers_as_moto_and_writing_to_it_leaves_the_table_unchanged(moto_own_code):
    table = _table_of_random_items(random.Random(14))
    stock = _pages(table)
    stored = copy.deepcopy([item.to_json() for item in table.all_items()])
    emulator_speedups.install()
    assert _pages(table) == stock
    from moto.dynamodb.models.dynamo_type import DynamoType

    items, _, _ = table.query(DynamoType({"S": "u0"}), None, [], None, None, True, None)
    for item in items:  # what a caller of the page could do to it
        item.attrs["a0"] = DynamoType({"S": "changed"})
        item.attrs.pop("a1", None)
    assert [item.to_json() for item in table.all_items()] == stored
