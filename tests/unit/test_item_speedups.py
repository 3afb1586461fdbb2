"""The emulator's item speed-ups answer exactly as moto's own code does
(devstack.item_speedups).

Both paths run in this process on the same random items, of every attribute type,
nested, with names that look like paths (``a.b``, ``x[1]``): each item is built,
measured and projected by moto's own code, then by the speed-ups, and the answers must
be the same: the attributes with their types, in order, the sizes, the projections of
random expressions (single names, repeated and absent ones, nested paths, list
indexes), and moto's 405,000-byte item limit to the byte. The one difference the
module names (an item DynamoDB would refuse) is pinned too. Checked to fail: a projection
that kept a number's value without moto's round trip, or a limit compared with ``>=``,
each broke the comparison.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from devstack import item_speedups

from .attribute_values import random_value, storable

NAMES = ["u", "y", "a", "b", "a.b", "x[1]", "é", "long name"]


def _item(attrs: dict[str, Any]) -> Any:
    from moto.dynamodb.models.dynamo_type import DynamoType, Item

    return Item(DynamoType({"S": "hash"}), DynamoType({"S": "range"}), attrs)


def _random_attrs(draw: random.Random) -> dict[str, Any]:
    names = draw.sample(NAMES, draw.randint(1, len(NAMES)))
    return {
        name: storable(random_value(draw)) if draw.random() < 0.5 else {"S": f"{name}-text"}
        for name in names
    }


def _expressions(draw: random.Random) -> list[list[str]]:
    paths = [[name] for name in NAMES] + [["missing"], ["a", "k0"], ["x[1]"], ["b", "k1a"]]
    return [draw.choice(paths) for _ in range(draw.randint(1, 4))]


def _answers(cases: list[tuple[dict[str, Any], list[list[str]]]]) -> list[Any]:
    answers = []
    for attrs, expressions in cases:
        item = _item(attrs)
        projected = _projected(item, expressions)
        answers.append((item.to_json(), list(item.attrs), item.size(), projected))
    return answers


def _projected(item: Any, expressions: list[list[str]]) -> Any:
    try:
        projected = item.project(expressions)
    except Exception as err:  # moto's own projection fails on some paths (into a NULL)
        return f"failed: {type(err).__name__}"
    return (
        projected.to_json(),
        list(projected.attrs),
        projected.hash_key is item.hash_key,
        projected.range_key is item.range_key,
        type(projected.attrs).__name__,
    )


def test_random_items_are_built_measured_and_projected_as_moto_does(moto_own_code):
    draw = random.Random(2026)
    cases = [(_random_attrs(draw), _expressions(draw)) for _ in range(400)]
    stock = _answers(cases)
    item_speedups.install()
    assert _answers(cases) == stock


def test_the_fan_outs_own_projections_answer_as_moto_does(moto_own_code):
    # the shapes the fan-out reads: follower ids, last reads, keys of an index
    cases = [
        ({"user_id": {"S": "big"}, "follower_id": {"S": "f1"}}, [["follower_id"]]),
        ({"user_id": {"S": "u"}, "last_read_at": {"S": "2026"}}, [["user_id"], ["last_read_at"]]),
        ({"user_id": {"S": "u"}}, [["user_id"], ["last_read_at"], ["user_id"]]),
        ({"u": {"S": ""}, "n": {"N": "01"}}, [["u"]]),
        ({"u": {"S": "x"}, "n": {"N": "01"}}, [["u"], ["n"]]),  # moto writes it back as "1"
        ({"u": {"S": "é💡"}, "n": {"N": "1.50"}}, [["n"], ["u"]]),
    ]
    stock = _answers(cases)
    item_speedups.install()
    assert _answers(cases) == stock


@pytest.mark.parametrize("extra", [0, 1])
def test_the_item_size_limit_is_moto_s_to_the_byte(moto_own_code, extra):
    from moto.dynamodb.exceptions import ItemSizeTooLarge

    # names and values: "k" (1 byte) + 404,990 + "x" (1) + 8 bytes = 405,000 bytes
    attrs = {"k": {"S": "v" * 404_990}, "x": {"S": "w" * (8 + extra)}}

    def outcome() -> str:
        try:
            return f"built, {_item(attrs).size()} bytes"
        except ItemSizeTooLarge as err:
            return f"refused: {err}"

    stock = outcome()
    item_speedups.install()
    assert outcome() == stock == ("built, 405000 bytes" if extra == 0 else stock)
    assert stock.startswith("built" if extra == 0 else "refused")


def test_the_one_documented_difference_a_number_dynamodb_would_refuse(moto_own_code):
    # 41 significant digits: DynamoDB refuses to store it, moto stores it and then cannot
    # project the item; the speed-up projects the item's strings without reading it
    attrs = {"u": {"S": "a"}, "n": {"N": "1.2345678901234567890123456789012345678901"}}
    assert _projected(_item(attrs), [["u"]]) == "failed: Inexact"
    item_speedups.install()
    assert _projected(_item(attrs), [["u"]])[0] == {"Attributes": {"u": {"S": "a"}}}
