"""A seeded random sequence of DynamoDB calls, sent to two emulators and compared answer by
answer: the one with ``devstack.query_index`` against stock moto.

Keys and index values come from small pools, so items collide, move into and out of
sparse indexes, and partitions hold several items. Each call goes to both endpoints and
the two answers must be equal once what is legitimately different is set aside: request
ids (``ResponseMetadata``) and the timestamps each emulator stamps itself (datetimes,
stream labels). A Query is followed page by page through ``LastEvaluatedKey``.
"""

from __future__ import annotations

import datetime
import random
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

__all__ = ["Mirror", "Sequence", "TableShape"]

_STAMPED = frozenset({"LatestStreamLabel", "LatestStreamArn"})  # made from the emulator's clock


def _normal(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return "<time>"
    if isinstance(value, dict):
        return {
            k: ("<time>" if k in _STAMPED else _normal(v))
            for k, v in value.items()
            if k != "ResponseMetadata"
        }
    if isinstance(value, list):
        return [_normal(v) for v in value]
    return value


def _answer(call: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
    try:
        return _normal(call(**kwargs))
    except ClientError as err:
        return {"error": _normal(err.response)}


@dataclass
class Mirror:
    """The same call to the changed emulator and to stock moto, sent to both at once;
    their answers must agree. ``close()`` when done."""

    indexed: Any  # a boto3 DynamoDB client of the emulator under test
    stock: Any  # the same, of stock moto
    calls: int = 0
    pool: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(max_workers=1))

    def call(self, operation: str, step: int = -1, **kwargs: Any) -> Any:
        self.calls += 1
        stock = self.pool.submit(_answer, getattr(self.stock, operation), kwargs)
        got = _answer(getattr(self.indexed, operation), kwargs)
        want = stock.result()
        assert got == want, (
            f"step {step}: {operation}({kwargs!r}) answered differently\n"
            f"indexed: {got!r}\nstock:   {want!r}"
        )
        return want

    def close(self) -> None:
        self.pool.shutdown()


@dataclass(frozen=True)
class Key:
    hash: str
    range: str | None


@dataclass(frozen=True)
class TableShape:
    """A table as DescribeTable gives it: its key, its indexes' keys, attribute types."""

    name: str
    key: Key
    indexes: dict[str, Key]
    types: dict[str, str]

    @classmethod
    def described(cls, table: dict[str, Any]) -> TableShape:
        def key(schema: list[dict[str, str]]) -> Key:
            by_type = {k["KeyType"]: k["AttributeName"] for k in schema}
            return Key(by_type["HASH"], by_type.get("RANGE"))

        described = table.get("GlobalSecondaryIndexes", []) + table.get("LocalSecondaryIndexes", [])
        indexes = {i["IndexName"]: key(i["KeySchema"]) for i in described}
        types = {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}
        return cls(table["TableName"], key(table["KeySchema"]), indexes, types)

    def pool(self, attribute: str) -> int:
        """How many values the sequence gives the attribute: few, so that items collide."""
        return 5 if attribute == self.key.hash else 6 if attribute == self.key.range else 4

    @property
    def sparse(self) -> list[str]:
        """Index key attributes that are not the table's: an item may go without them."""
        names = {a for k in self.indexes.values() for a in (k.hash, k.range) if a}
        return sorted(names - {self.key.hash, self.key.range})


_TEXTS = ["a", "b", "hello", "hello world", "zz"]
_NOW = 1_800_000_000


@dataclass
class Sequence:
    """The random calls: ``step()`` makes one (a write, a read, or a table setting)."""

    mirror: Mirror
    tables: dict[str, TableShape]
    rng: random.Random
    steps: int = 0
    made: dict[str, int] = field(default_factory=dict)  # calls by kind, for the report

    # -- values ----------------------------------------------------------------------

    def value(self, shape: TableShape, attribute: str) -> dict[str, Any]:
        kind = shape.types.get(attribute, "S")
        k = self.rng.randrange(shape.pool(attribute))
        if kind == "N":  # "2" and "2.0" are one number, one key, in DynamoDB and moto
            return {"N": self.rng.choice([str(k), f"{k}.0"])}
        if kind == "B":
            return {"B": bytes([65 + k])}
        return {"S": f"{attribute[:2]}{k:02d}"}

    def key_of(self, shape: TableShape) -> dict[str, Any]:
        key = {shape.key.hash: self.value(shape, shape.key.hash)}
        if shape.key.range:
            key[shape.key.range] = self.value(shape, shape.key.range)
        return key

    def item_of(self, shape: TableShape) -> dict[str, Any]:
        rng = self.rng
        item = self.key_of(shape)
        for name in shape.sparse:
            if rng.random() < 0.6:
                item[name] = self.value(shape, name)
        item["text"] = {"S": rng.choice(_TEXTS)}
        if rng.random() < 0.6:
            item["count"] = {"N": str(rng.randrange(-3, 10))}
        if rng.random() < 0.2:
            item["tags"] = {"SS": sorted(set(rng.choices(["x", "y", "z"], k=2)))}
        if rng.random() < 0.2:
            item["doc"] = {"M": {"k": {"S": rng.choice(_TEXTS)}, "n": {"N": "1"}}}
        if rng.random() < 0.3:  # TTL attribute, already expired or not
            item["expires_at"] = {"N": str(_NOW + rng.choice([-86_400, 86_400]))}
        return item

    # -- the calls -------------------------------------------------------------------

    def step(self) -> None:
        self.steps += 1
        shape = self.rng.choice(
            [s for s in self.tables.values() for _ in range(3 if s.indexes else 1)]
        )
        kinds = {
            self.put: 18,
            self.update: 22,
            self.delete: 8,
            self.batch_write: 6,
            self.transact_write: 4,
            self.query: 36,
            self.scan: 2,
            self.get: 2,
            self.batch_get: 4,
            self.time_to_live: 2,
        }
        make = self.rng.choices(list(kinds), weights=list(kinds.values()))[0]
        self.made[make.__name__] = self.made.get(make.__name__, 0) + 1
        make(shape)

    def call(self, operation: str, **kwargs: Any) -> Any:
        return self.mirror.call(operation, self.steps, **kwargs)

    def put(self, shape: TableShape) -> None:
        kwargs: dict[str, Any] = {"TableName": shape.name, "Item": self.item_of(shape)}
        if self.rng.random() < 0.2:
            kwargs["ConditionExpression"] = "attribute_not_exists(#h)"
            kwargs["ExpressionAttributeNames"] = {"#h": shape.key.hash}
        if self.rng.random() < 0.3:
            kwargs["ReturnValues"] = "ALL_OLD"
        self.call("put_item", **kwargs)

    def update(self, shape: TableShape) -> None:
        """SET or REMOVE index attributes (into, out of, between index partitions), and
        plain attributes; sometimes on a key that holds nothing yet, sometimes failing
        part-way (moto keeps what it applied before the failure)."""
        rng = self.rng
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        sets, removes = [], []
        for n, name in enumerate(rng.sample(shape.sparse, k=min(2, len(shape.sparse)))):
            names[f"#s{n}"] = name
            if rng.random() < 0.6:
                sets.append(f"#s{n} = :s{n}")
                values[f":s{n}"] = self.value(shape, name)
            else:
                removes.append(f"#s{n}")
        if rng.random() < 0.5 or not (sets or removes):
            sets.append("#t = :t")
            names["#t"], values[":t"] = "text", {"S": rng.choice(_TEXTS)}
        adds = []
        if rng.random() < 0.3:
            adds.append("#c :one")
            names["#c"], values[":one"] = "count", {"N": "1"}
        if rng.random() < 0.15:  # fails where tags is a string set, after the SET is applied
            adds.append("#x :one")
            names["#x"], values[":one"] = "tags", {"N": "1"}
        clauses = {"SET": sets, "REMOVE": removes, "ADD": adds}
        expression = " ".join(f"{verb} {', '.join(of)}" for verb, of in clauses.items() if of)
        kwargs: dict[str, Any] = {
            "TableName": shape.name,
            "Key": self.key_of(shape),
            "UpdateExpression": expression,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            "ReturnValues": rng.choice(["NONE", "ALL_NEW", "ALL_OLD", "UPDATED_NEW"]),
        }
        if rng.random() < 0.2:
            kwargs["ConditionExpression"] = "attribute_exists(#h)"
            names["#h"] = shape.key.hash
        self.call("update_item", **kwargs)

    def delete(self, shape: TableShape) -> None:
        key = self.key_of(shape)
        self.call("delete_item", TableName=shape.name, Key=key, ReturnValues="ALL_OLD")

    def batch_write(self, shape: TableShape) -> None:
        requests, seen = [], set()
        for _ in range(self.rng.randrange(1, 26)):
            item = self.item_of(shape)
            key = {k: v for k, v in item.items() if k in (shape.key.hash, shape.key.range)}
            marker = _key_text(key)
            if marker in seen:
                continue
            seen.add(marker)
            if self.rng.random() < 0.7:
                requests.append({"PutRequest": {"Item": item}})
            else:
                requests.append({"DeleteRequest": {"Key": key}})
        self.call("batch_write_item", RequestItems={shape.name: requests})

    def transact_write(self, shape: TableShape) -> None:
        """A put, an update and a delete; the condition on the delete sometimes cancels the
        whole transaction (moto then puts back copies of its tables)."""
        keys: list[dict[str, Any]] = []
        while len(keys) < 3:
            key = self.key_of(shape)
            if all(_key_text(key) != _key_text(k) for k in keys):
                keys.append(key)
        item = {**self.item_of(shape), **keys[0]}
        update: dict[str, Any] = {
            "TableName": shape.name,
            "Key": keys[1],
            "UpdateExpression": "SET #t = :t",
            "ExpressionAttributeNames": {"#t": "text"},
            "ExpressionAttributeValues": {":t": {"S": self.rng.choice(_TEXTS)}},
        }
        if shape.sparse:
            name = self.rng.choice(shape.sparse)
            update["UpdateExpression"] += ", #s = :s"
            update["ExpressionAttributeNames"]["#s"] = name
            update["ExpressionAttributeValues"][":s"] = self.value(shape, name)
        delete = {
            "TableName": shape.name,
            "Key": keys[2],
            "ConditionExpression": "attribute_exists(#h)",
            "ExpressionAttributeNames": {"#h": shape.key.hash},
        }
        items = [
            {"Put": {"TableName": shape.name, "Item": item}},
            {"Update": update},
            {"Delete": delete},
        ]
        self.call("transact_write_items", TransactItems=items)

    def time_to_live(self, shape: TableShape) -> None:
        enabled = self.rng.random() < 0.5
        spec = {"AttributeName": "expires_at", "Enabled": enabled}
        self.call("update_time_to_live", TableName=shape.name, TimeToLiveSpecification=spec)
        self.call("describe_time_to_live", TableName=shape.name)

    def get(self, shape: TableShape) -> None:
        self.call("get_item", TableName=shape.name, Key=self.key_of(shape), ConsistentRead=True)

    def batch_get(self, shape: TableShape) -> None:
        """Keys found and missing, sometimes of a second table, sometimes projected (to
        strings, or to a number too: moto's projection rewrites numbers), and now and
        then a repeated key, a missing table or an unused name, which moto refuses."""
        rng = self.rng
        tables = [shape, *rng.sample(list(self.tables.values()), k=1 if rng.random() < 0.3 else 0)]
        request: dict[str, Any] = {}
        for table in tables:
            keys: list[dict[str, Any]] = []
            for _ in range(rng.randrange(1, 13)):
                key = self.key_of(table)
                if all(_key_text(key) != _key_text(k) for k in keys) or rng.random() < 0.05:
                    keys.append(key)
            read: dict[str, Any] = {"Keys": keys}
            if rng.random() < 0.4:
                read["ProjectionExpression"] = rng.choice(["#h, #t", "#t, #h", "#t, #c", "#t"])
                names = _used({"#h": table.key.hash, "#t": "text", "#c": "count"}, read)
                if rng.random() < 0.05:
                    names["#unused"] = "tags"  # a name the projection does not use: refused
                read["ExpressionAttributeNames"] = names
            if rng.random() < 0.2:
                read["ConsistentRead"] = True
            request[table.name] = read
        if rng.random() < 0.03:
            request["missing-table"] = {"Keys": [{"user_id": {"S": "u1"}}]}
        self.call("batch_get_item", RequestItems=request)

    def scan(self, shape: TableShape) -> None:
        kwargs: dict[str, Any] = {"TableName": shape.name}
        if self.rng.random() < 0.5:
            kwargs["Limit"] = self.rng.randrange(1, 20)
        self.pages("scan", kwargs)

    def query(
        self, shape: TableShape, index: str | None = None, whole: dict[str, Any] | None = None
    ) -> None:
        """A Query of a random index, key form, direction, page size, filter and projection;
        given ``whole`` (a hash value), that partition of ``index`` whole, in key order."""
        rng = self.rng
        if whole is None:
            index = rng.choice([None, *shape.indexes])
        key = shape.indexes[index] if index else shape.key
        names = {"#h": key.hash}
        values = {":h": whole or self.value(shape, key.hash)}
        condition = "#h = :h"
        kwargs: dict[str, Any] = {"TableName": shape.name}
        if index:
            kwargs["IndexName"] = index
        if whole is None:
            if key.range and rng.random() < 0.7:
                names["#r"] = key.range
                condition += " AND " + self.range_condition(shape, key.range, values)
            self.read_options(kwargs, names, values)
        kwargs["KeyConditionExpression"] = condition
        kwargs["ExpressionAttributeNames"] = _used(names, kwargs)
        kwargs["ExpressionAttributeValues"] = _used(values, kwargs)
        self.pages("query", kwargs)

    def read_options(
        self, kwargs: dict[str, Any], names: dict[str, str], values: dict[str, Any]
    ) -> None:
        rng = self.rng
        kwargs["ScanIndexForward"] = rng.random() < 0.5
        if rng.random() < 0.6:
            kwargs["Limit"] = rng.randrange(1, 6)
        if rng.random() < 0.3:
            kwargs["FilterExpression"] = rng.choice(
                ["attribute_exists(#c)", "#c > :n", "begins_with(#t, :p)"]
            )
            names.update({"#c": "count", "#t": "text"})
            values.update({":n": {"N": "2"}, ":p": {"S": "hello"}})
        if rng.random() < 0.2:
            kwargs["ProjectionExpression"] = "#h, #t"
            names["#t"] = "text"
        elif rng.random() < 0.15:
            kwargs["Select"] = "COUNT"
        if rng.random() < 0.1:
            kwargs["ConsistentRead"] = True  # refused on a GSI, alike

    def range_condition(self, shape: TableShape, name: str, values: dict[str, Any]) -> str:
        form = self.rng.choice(["=", "<", "<=", ">", ">=", "BETWEEN", "begins_with"])
        kind = shape.types[name]
        low, high = sorted(
            (self.value(shape, name) for _ in range(2)),
            key=lambda v: float(v["N"]) if kind == "N" else next(iter(v.values())),
        )
        if form == "BETWEEN":
            values[":lo"], values[":hi"] = low, high
            return "#r BETWEEN :lo AND :hi"
        if form == "begins_with" and kind == "S":
            values[":r"] = {"S": low["S"][: self.rng.randrange(1, 4)]}
            return "begins_with(#r, :r)"
        values[":r"] = low
        return f"#r {form if form != 'begins_with' else '='} :r"

    def pages(self, operation: str, kwargs: dict[str, Any]) -> int:
        """Every page of a Query or Scan, each compared; the number of pages."""
        pages = 0
        while True:
            answer = self.call(operation, **kwargs)
            pages += 1
            after = answer.get("LastEvaluatedKey") if isinstance(answer, dict) else None
            if not after or pages >= 200:
                return pages
            kwargs = {**kwargs, "ExclusiveStartKey": after}

    def sweep(self) -> None:
        """Each table scanned, and every partition of every table and index read whole."""
        for shape in self.tables.values():
            self.scan(shape)
            for index in [None, *shape.indexes]:
                name = (shape.indexes[index] if index else shape.key).hash
                for value in _every_value(name, shape.types[name], shape.pool(name)):
                    self.query(shape, index, whole=value)


def _every_value(attribute: str, kind: str, pool: int) -> list[dict[str, Any]]:
    """Every value ``Sequence.value`` can give, both spellings of each number."""
    if kind == "N":
        return [{"N": text} for k in range(pool) for text in (str(k), f"{k}.0")]
    if kind == "B":
        return [{"B": bytes([65 + k])} for k in range(pool)]
    return [{"S": f"{attribute[:2]}{k:02d}"} for k in range(pool)]


def _key_text(key: dict[str, Any]) -> str:
    return repr(sorted((k, sorted(v.items())) for k, v in key.items()))


def _used(placeholders: dict[str, Any], kwargs: dict[str, Any]) -> dict[str, Any]:
    """Only the placeholders the expressions use: DynamoDB refuses unused ones."""
    text = " ".join(
        str(kwargs.get(k, ""))
        for k in ("KeyConditionExpression", "FilterExpression", "ProjectionExpression")
    )
    return {k: v for k, v in placeholders.items() if re.search(re.escape(k) + r"\b", text)}
