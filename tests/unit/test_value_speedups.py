"""The emulator's value speed-ups compare and hash as moto's own code does
(devstack.value_speedups).

Both paths run in this process on the same random pairs of values of every type,
nested: ``==``, ``!=``, ``<``, ``hash`` and ``cast_value`` of each, by moto's own code,
then by the speed-ups; the answers (or the exception's type) must be the same. Strings
are drawn from a small alphabet so that equal, ordered and prefix pairs all occur.
Pages of a table Query and of an index Query after a start key, in both directions, with
string and number sort keys, answer the same too. Checked to fail: ``<`` answered as
``<=`` for strings, a hash without the type, strings compared with a value of another
type, and a start key whose differing sort key was not compared.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from devstack import value_speedups

from .attribute_values import random_value, storable

OPERATIONS = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "lt": lambda a, b: a < b,
    "hash": lambda a, b: hash(a),
    "cast": lambda a, b: a.cast_value,
    "not a value": lambda a, b: a == "S",
}


def _value(draw: random.Random) -> Any:
    from moto.dynamodb.models.dynamo_type import DynamoType

    if draw.random() < 0.6:  # strings most of the time: the fast path's own case
        return DynamoType({"S": "".join(draw.choice("ab") for _ in range(draw.randint(0, 3)))})
    return DynamoType(storable(random_value(draw)))


def _answer(operation: Any, a: Any, b: Any) -> Any:
    try:
        answer = operation(a, b)
    except Exception as err:  # moto's own comparisons fail for some pairs (a str < a Decimal)
        return f"failed: {type(err).__name__}"
    return answer if not isinstance(answer, set | dict | list) else repr(answer)


def _answers(pairs: list[tuple[Any, Any]]) -> list[Any]:
    return [
        (name, _answer(operation, a, b)) for a, b in pairs for name, operation in OPERATIONS.items()
    ]


def test_random_values_compare_and_hash_as_moto_s_do(moto_own_code):
    draw = random.Random(2026)
    pairs = [(_value(draw), _value(draw)) for _ in range(2000)]
    stock = _answers(pairs)
    assert sum(1 for name, answer in stock if name == "eq" and answer is True) > 50
    value_speedups.install()
    assert _answers(pairs) == stock


def _table(range_type: str) -> Any:
    from moto.dynamodb.models.table import Table

    types = {"u": "S", "f": range_type, "g": "S"}
    return Table(
        "t",
        account_id="123456789012",
        region="us-east-1",
        schema=[
            {"AttributeName": "u", "KeyType": "HASH"},
            {"AttributeName": "f", "KeyType": "RANGE"},
        ],
        attr=[{"AttributeName": name, "AttributeType": kind} for name, kind in types.items()],
        global_indexes=[
            {
                "IndexName": "by_g",
                "KeySchema": [
                    {"AttributeName": "g", "KeyType": "HASH"},
                    {"AttributeName": "u", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )


def _pages(table: Any, range_type: str, index: str | None) -> list[Any]:
    """Two items a page after a start key in the middle, forwards and backwards."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    def key(n: int) -> dict[str, Any]:
        return {range_type: f"f{n}" if range_type == "S" else str(n)}

    start = {"u": {"S": "a"}, "f": key(3)}
    if index:
        start = {**start, "g": {"S": "same"}}
    found = []
    for forward in (True, False):
        items, scanned, last = table.query(
            DynamoType({"S": "same" if index else "a"}),
            None,
            [],
            limit=2,
            exclusive_start_key=start,
            scan_index_forward=forward,
            projection_expressions=None,
            index_name=index,
        )
        found.append(([item.to_json() for item in items], scanned, last))
    return found


@pytest.mark.parametrize(
    ("range_type", "index"), [("S", None), ("N", None), ("S", "by_g"), ("N", "by_g")]
)
def test_a_page_after_a_start_key_is_moto_s_both_ways(moto_own_code, range_type, index):
    table = _table(range_type)
    for n in (5, 1, 4, 2, 3, 10):
        for user in ("a", "b"):
            value = f"f{n}" if range_type == "S" else str(n)
            table.put_item({"u": {"S": user}, "f": {range_type: value}, "g": {"S": "same"}})
    stock = _pages(table, range_type, index)
    if index is None:  # strings sort as text ("f10" before "f2"), numbers by value
        after, before = (
            (["f4", "f5"], ["f2", "f10"]) if range_type == "S" else (["4", "5"], ["2", "1"])
        )
        pages = [[item["Attributes"]["f"][range_type] for item in page[0]] for page in stock]
        assert pages == [after, before]
    value_speedups.install()
    assert _pages(table, range_type, index) == stock
