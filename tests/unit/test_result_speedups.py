"""The emulator turns DynamoDB answers into plain values as moto's own ``dynamo_to_dict``
does (devstack.result_speedups).

Both paths run in this process on random answers: items of every ``AttributeValue``
type, nested in maps and lists, as plain values and as ``DynamoType``s, beside
``datetime``s, numbers, booleans, bytes and nulls; the results must be equal, types
included. Checked to fail: returning a ``dict`` itself instead of a copy, or a
``DynamoType`` as it is, each broke a comparison.
"""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

from moto.dynamodb import responses
from moto.dynamodb.models import utilities
from moto.dynamodb.models.dynamo_type import DynamoType

from devstack import result_speedups

from .attribute_values import random_value, storable, typed


def _answer(draw: random.Random) -> dict[str, Any]:
    def item() -> dict[str, Any]:
        values = {f"a{n}": storable(random_value(draw)) for n in range(draw.randint(0, 4))}
        if draw.random() < 0.5:
            return {name: DynamoType(value) for name, value in values.items()}
        return values

    return {
        "Items": [item() for _ in range(draw.randint(0, 4))],
        "Count": draw.randint(0, 4),
        "ScannedCount": draw.choice([0, 1.5, True, None]),
        "LastEvaluatedKey": draw.choice([None, {"pk": DynamoType({"S": "k"})}, {"b": b"\x00"}]),
        "Table": {"CreationDateTime": datetime(2026, 12, 7, draw.randint(0, 23))},
    }


def test_random_answers_convert_as_moto_converts_them(moto_own_code):
    draw = random.Random(2026)
    answers = [_answer(draw) for _ in range(300)]
    stock = [typed(utilities.dynamo_to_dict(answer)) for answer in answers]
    result_speedups.install()
    assert responses.dynamo_to_dict is utilities.dynamo_to_dict  # DynamoResult's, changed
    assert [typed(responses.dynamo_to_dict(answer)) for answer in answers] == stock


def test_the_answer_is_a_copy_that_leaves_the_stored_item_alone(moto_own_code):
    result_speedups.install()
    stored = {"Items": [{"a": {"S": "x"}}]}
    answer = responses.dynamo_to_dict(stored)
    answer["Items"][0]["a"]["S"] = "changed"
    assert stored == {"Items": [{"a": {"S": "x"}}]}
