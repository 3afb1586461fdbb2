"""The emulator's one-pass BatchGetItem answers exactly as moto's own handler does
(devstack.batch_get_speedups), and answers the fan-out's lookups itself.

moto's real DynamoDB handler runs in this process behind the emulator's direct dispatch
(werkzeug's test client): tables of string, number and two-part keys hold items of
strings and numbers, and some of sets, maps and booleans. The same random BatchGetItems
(found and missing keys, one or two tables, projections of strings, of numbers, of
nested paths and of a name no item holds, repeated keys, ``"2"`` and ``"2.0"`` for one
number, unused names, ``AttributesToGet``, missing tables, more than 100 keys) go to
moto's own handler, then to the changed one; the raw answers must be equal: status,
body byte for byte, content type and checksum. Checked to fail: a projected number
written as stored, capacity units written as an integer, or repeated keys let through
each broke the comparison.
"""

from __future__ import annotations

import json
import random
from typing import Any

from werkzeug.test import Client

from devstack import batch_get_speedups

from .moto_handler import answers_seen, call, dynamodb_client, random_answers

TABLES = {  # name: key attributes and their types
    "bgi-activity": (("user_id", "S"),),
    "bgi-feeds": (("user_id", "S"), ("yubl_id", "S")),
    "bgi-numbers": (("n", "N"),),
}
POOL = 8  # key values per attribute; the items hold the even ones


def _value(kind: str, k: int, spelled: int = 0) -> dict[str, str]:
    if kind == "N":
        return {"N": [str(k), f"{k}.0"][spelled]}
    return {"S": f"v{k:02d}"}


def _seeded(client: Client) -> None:
    draw = random.Random(7)
    for name, key in TABLES.items():
        if call(client, "DescribeTable", {"TableName": name})[0] == 200:
            continue
        schema = [
            {"AttributeName": a, "KeyType": k}
            for (a, _), k in zip(key, ("HASH", "RANGE"), strict=False)
        ]
        types = [{"AttributeName": a, "AttributeType": t} for a, t in key]
        created = call(
            client,
            "CreateTable",
            {
                "TableName": name,
                "KeySchema": schema,
                "AttributeDefinitions": types,
                "BillingMode": "PAY_PER_REQUEST",
            },
        )
        assert created[0] == 200, created
        for ks in _key_values(key):
            if any(k % 2 for k in ks):
                continue
            item = {a: _value(t, k) for (a, t), k in zip(key, ks, strict=True)}
            item["text"] = {"S": draw.choice(["a", "é", "hello world", ""])}
            item["count"] = {"N": draw.choice(["1", "1.50", "-3", "10"])}
            if set(ks) == {6}:  # one item of each table holds a set, one a map
                item["tags"] = {"SS": ["x", "y"]}
            if set(ks) == {4}:
                item["doc"] = {"M": {"k": {"BOOL": True}}}
            assert call(client, "PutItem", {"TableName": name, "Item": item})[0] == 200


def _key_values(key: tuple[tuple[str, str], ...]) -> list[tuple[int, ...]]:
    if len(key) == 1:
        return [(k,) for k in range(POOL)]
    return [(h, r) for h in range(POOL) for r in range(POOL)]


def _random_request(draw: random.Random) -> dict[str, Any]:
    request: dict[str, Any] = {}
    for name in draw.sample(sorted(TABLES), k=draw.choice([1, 1, 1, 2])):
        key = TABLES[name]
        keys = []
        for _ in range(draw.choice([1, 5, 20, 60, 110])):
            ks = draw.choice(_key_values(key))
            keys.append(
                {a: _value(t, k, draw.randrange(2)) for (a, t), k in zip(key, ks, strict=True)}
            )
        if draw.random() < 0.85:  # no repeats, as DynamoDB requires
            keys = list({json.dumps(k, sort_keys=True): k for k in keys}.values())[:50]
        read: dict[str, Any] = {"Keys": keys}
        form = draw.random()
        if form < 0.4:
            read["ProjectionExpression"] = draw.choice(
                ["#h, #t", "#t, #h", "#t", "#t", "#t, #c", "doc.k", "#t, tags", "#a"]
            )
            text = read["ProjectionExpression"]
            names = {"#h": key[0][0], "#t": "text", "#c": "count", "#a": "absent"}
            read["ExpressionAttributeNames"] = {n: v for n, v in names.items() if n in text}
            if draw.random() < 0.1:
                read["ExpressionAttributeNames"]["#x"] = "unused"
        elif form < 0.45:
            read["AttributesToGet"] = ["text"]
        if draw.random() < 0.2:
            read["ConsistentRead"] = True
        request[name] = read
    if draw.random() < 0.05:
        request["bgi-missing"] = {"Keys": [{"user_id": {"S": "v00"}}]}
    body: dict[str, Any] = {"RequestItems": request}
    if draw.random() < 0.3:
        body["ReturnConsumedCapacity"] = "TOTAL"
    return body


def test_random_batch_gets_answer_as_moto_s_own_handler_does(moto_own_code, monkeypatch):
    _, statuses, seen = random_answers(
        "BatchGetItem", _seeded, _random_request, 300, batch_get_speedups, monkeypatch
    )

    assert 150 < statuses.count(200) < 300 and statuses.count(400) > 10
    # both paths answered a good share: plain requests here, the rest moto's handler
    answered_here = [answer is not None for answer in seen]
    assert answered_here.count(True) >= 60 and answered_here.count(False) >= 60


def test_the_fan_outs_lookup_is_answered_here_and_a_projected_number_is_not(
    moto_own_code, monkeypatch
):
    client = dynamodb_client()
    _seeded(client)
    batch_get_speedups.install()
    seen = answers_seen(monkeypatch, batch_get_speedups)
    lookup = {  # the fan-out's: every follower's last read, projected
        "Keys": [{"user_id": {"S": f"v{k:02d}"}} for k in range(POOL)],
        "ProjectionExpression": "user_id, #t",
        "ExpressionAttributeNames": {"#t": "text"},
    }
    status, body, content_type, _ = call(
        client, "BatchGetItem", {"RequestItems": {"bgi-activity": lookup}}
    )
    numbers = {"Keys": [{"n": {"N": "2"}}], "ProjectionExpression": "#c"}
    numbers["ExpressionAttributeNames"] = {"#c": "count"}
    call(client, "BatchGetItem", {"RequestItems": {"bgi-numbers": numbers}})

    assert (status, content_type) == (200, "application/x-amz-json-1.0")
    found = json.loads(body)["Responses"]["bgi-activity"]
    assert [item["user_id"]["S"] for item in found] == ["v00", "v02", "v04", "v06"]
    assert all(list(item) == ["user_id", "text"] for item in found)
    assert json.loads(body)["ConsumedCapacity"] == [
        {"TableName": "bgi-activity", "CapacityUnits": 8.0}
    ]
    assert seen[0] == body
    assert seen[1] is None  # moto's handler answered: its projection rewrites numbers
