"""DynamoDB's Query of a table's partition by its string keys answered in one pass, in the
emulator process.

Why: a large post's plan counts its followers in reads of 10,000 keys (``Select=COUNT``)
and each of its ranges reads its followers in pages of 10,000 ids; with the partition
lookup of ``devstack.query_index`` and the item speed-ups, such a page still cost the
emulator 192 ms of CPU and a count 64 ms (2026-12-08, one client, 20,000 followers in
the partition): in the post to 20,000 followers they were a fifth of the emulator's
CPU, on the path to its first range message. Profiled (py-spy, 200 Hz), moto's
``Table.query`` measured every item twice (the 1 MB page limit), compared each with
the key condition through ``DynamoType``, copied the page, projected each item into a
new one; the handler then turned the page into plain values and the generic serializer
wrote them value by value.

What changes, and why it answers the same: ``DynamoHandler.query`` first tries a plain
request, and answers it in one pass; anything else goes to moto's handler as it is. A
plain request names an existing table whose hash and range keys are both strings
(``S``), asks for nothing but ``KeyConditionExpression``, ``ExpressionAttributeValues``,
``ExpressionAttributeNames``, ``ProjectionExpression``, ``Limit`` (at least 1),
``ExclusiveStartKey``, ``ScanIndexForward``, ``Select`` (none, or ``COUNT`` without a
projection), ``ConsistentRead`` and ``ReturnConsumedCapacity`` (``NONE`` or
``TOTAL``): no index, no filter, none of the legacy parameters. Its expressions are
parsed and checked by moto's own code (``_get_expr_attr_values``,
``ProjectionExpressionParser``, ``parse_expression``, ``validate_attributes_used``,
``validate_select``); any error they raise is left to moto's handler, which raises it
again. The key condition is the hash key equal to a string and at most one condition
on the range key (``=``, ``<``, ``<=``, ``>``, ``>=``, ``BETWEEN``, ``BEGINS_WITH``) on
strings; an ``ExclusiveStartKey`` names exactly the table's two keys as strings, its
hash the queried one; a projection is top-level names (``item_speedups``' rule).

Then moto's own loop, on the partition's items sorted by their range key (moto sorts the
same items by the same ``DynamoType`` order, which for strings is ``str`` order):
items up to and including the start key are skipped (``_item_comes_before_dct``); at
each further item, in order, the page ends with ``LastEvaluatedKey`` = the last
matching item's keys when ``Limit`` matches are held or when the matches' sizes plus
this item's would pass 1,000,000 bytes; a matching item is kept, its size added. Sizes
are moto's (``Item.size``: names and values in UTF-8; a string is measured here
directly, anything else by moto). moto refuses any item over 405,000 bytes
(``LimitedSizeDict``), so while the kept sizes are at most 595,000 no item can end the
page by its size and the items that do not match are not measured (moto measures them
and compares the same sum). ``Count`` and ``ScannedCount`` are both the kept items (a
table's Query counts only matches as scanned in moto); ``Items`` is written as
``devstack.batch_get_speedups`` writes found items (strings and numbers as stored; a
projected value must be a string), and the answer as moto's JSON serializer writes it:
``Items`` (not with ``COUNT``), ``Count``, ``ScannedCount``, ``LastEvaluatedKey``, and
with ``TOTAL`` one ``ConsumedCapacity`` of 1.0 units, with ``json.dumps``'s defaults.
Whenever any of this does not hold, or anything raises, moto's handler answers the
request from the start: a read changes nothing, so answering it twice is safe.

Checked: ``tests/unit/test_query_speedups.py`` sends random Queries, plain and not, to
moto's own handler and to this one in one process and requires the same bytes; the
differential test (``test_query_index_differential.py``) sends its Queries to this
emulator and to stock moto. ``LOCAL_QUERY_INDEX=0`` runs stock moto, without this
either. Written by hand: no library speeds moto up.
"""

from __future__ import annotations

import functools
import json
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .batch_get_speedups import written_item
from .item_speedups import ITEM_SIZE_LIMIT, top_level_names
from .one_pass import answered_first
from .patches import Patches
from .query_index import check_moto_version

__all__ = ["answered_here", "install", "installed", "uninstall"]

_patches = Patches()
RESULT_SIZE_LIMIT = 1_000_000  # moto's page limit (``models/table.py``)
_REQUEST_FIELDS = frozenset(
    (
        "TableName",
        "KeyConditionExpression",
        "ExpressionAttributeValues",
        "ExpressionAttributeNames",
        "ProjectionExpression",
        "Limit",
        "ExclusiveStartKey",
        "ScanIndexForward",
        "Select",
        "ConsistentRead",
        "ReturnConsumedCapacity",
    )
)
_MATCHES: dict[str, Callable[..., bool]] = {  # moto's COMPARISON_FUNCS, on strings
    "=": lambda key, value: key == value,
    "<": lambda key, value: key < value,
    "<=": lambda key, value: key <= value,
    ">": lambda key, value: key > value,
    ">=": lambda key, value: key >= value,
    "BETWEEN": lambda key, low, high: low <= key <= high,
    "BEGINS_WITH": lambda key, prefix: key.startswith(prefix),
}


class _NotPlain(Exception):
    """A request moto's handler must answer."""


def _string(value: Any) -> str:
    """An ``S`` value's string; anything else is not plain."""
    if isinstance(value, dict) and len(value) == 1 and type(value.get("S")) is str:
        return str(value["S"])
    raise _NotPlain


def _projection(body: dict[str, Any], names: dict[str, str]) -> tuple[list[str] | None, list]:
    """The projected names (None: every attribute) and the placeholders the projection
    used, parsed by moto's parser."""
    from moto.dynamodb.responses import ProjectionExpressionParser

    parser = ProjectionExpressionParser(body.get("ProjectionExpression"), names)
    paths = parser.parse()
    if not paths:
        return None, list(parser.expr_attr_names_found)
    projected = top_level_names(paths)
    if projected is None:
        raise _NotPlain
    return projected, list(parser.expr_attr_names_found)


def _size(item: Any) -> int:
    """moto's ``Item.size``: each name's and value's UTF-8 bytes."""
    total = 0
    for name, value in item.attrs.items():
        text = value.value
        measured = len(text.encode()) if value.type == "S" and type(text) is str else value.size()
        total += len(name.encode()) + measured
    return total


@dataclass(frozen=True)
class _Plan:
    """A plain Query, as its one pass needs it."""

    table: Any  # moto's Table
    hash: str
    match: Callable[[str], bool] | None  # the range key condition; None: every item
    after: str | None  # the start key's range string
    limit: int | None
    forward: bool
    projected: list[str] | None  # None: every attribute
    count_only: bool
    capacity: dict[str, Any] | None  # ConsumedCapacity, with TOTAL


def _parsed(handler: Any, table: Any) -> tuple[list[str] | None, Any, Any]:
    """The projection and the key conditions, read and checked by moto's own code (it
    raises what moto's handler raises)."""
    from moto.dynamodb.parsing.key_condition_expression import parse_expression
    from moto.dynamodb.responses import validate_attributes_used, validate_select

    body = handler.body
    names = body.get("ExpressionAttributeNames", {})
    values = handler._get_expr_attr_values()
    projected, used = _projection(body, names)
    hashes, ranges, used_by_keys = parse_expression(
        key_condition_expression=body.get("KeyConditionExpression"),
        expression_attribute_names=names,
        expression_attribute_values=values,
        schema=handler.dynamodb_backend.get_schema(table_name=table.name, index_name=None),
    )
    validate_attributes_used(names, used + used_by_keys, validation_error_prefix=False)
    validate_select(
        operation="Query",
        select=body.get("Select"),
        projection_expression=handler._get_projection_expression(),
        attributes_to_get=None,
        table=table,
        index_name=None,
    )
    return projected, hashes, ranges


def _plan(handler: Any) -> _Plan:
    """The plain Query ``handler`` holds, or ``_NotPlain``."""
    body = handler.body
    if not isinstance(body, dict) or body.keys() - _REQUEST_FIELDS:
        raise _NotPlain
    name, select = body.get("TableName"), body.get("Select")
    table = handler.dynamodb_backend.tables.get(name) if isinstance(name, str) else None
    if table is None or table.hash_key_type != "S" or table.range_key_type != "S":
        raise _NotPlain
    limit, forward = body.get("Limit"), body.get("ScanIndexForward", True)
    if (limit is not None and (type(limit) is not int or limit < 1)) or type(forward) is not bool:
        raise _NotPlain
    if type(body.get("ConsistentRead", False)) is not bool or select not in (None, "COUNT"):
        raise _NotPlain
    capacity = body.get("ReturnConsumedCapacity", "NONE")
    if capacity not in ("NONE", "TOTAL") or not isinstance(body.get("KeyConditionExpression"), str):
        raise _NotPlain
    projected, hashes, ranges = _parsed(handler, table)
    ((hash_name, hash_value),) = hashes
    if hash_name != table.hash_key_attr or len(ranges) > 1:
        raise _NotPlain
    match = None
    if ranges:
        ((range_name, operation, operands),) = ranges
        if range_name != table.range_key_attr or operation not in _MATCHES:
            raise _NotPlain
        strings = [_string(operand) for operand in operands]
        match = functools.partial(_call_with, _MATCHES[operation], strings)
    return _Plan(
        table=table,
        hash=_string(hash_value),
        match=match,
        after=_start(body.get("ExclusiveStartKey"), table, _string(hash_value)),
        limit=limit,
        forward=forward,
        projected=projected,
        count_only=select == "COUNT",
        capacity={"TableName": name, "CapacityUnits": 1.0} if capacity == "TOTAL" else None,
    )


def _call_with(test: Callable[..., bool], operands: list[str], key: str) -> bool:
    return test(key, *operands)


def _start(key: Any, table: Any, hash_value: str) -> str | None:
    """The start key's range string, or None without one."""
    if key is None:
        return None
    if not isinstance(key, dict) or key.keys() != {table.hash_key_attr, table.range_key_attr}:
        raise _NotPlain
    if _string(key[table.hash_key_attr]) != hash_value:
        raise _NotPlain
    return _string(key[table.range_key_attr])


def _ordered(plan: _Plan) -> list[Any]:
    """The partition's items after the start key, in the Query's order."""
    from moto.dynamodb.models.dynamo_type import DynamoType, Item

    partition = plan.table.items.get(DynamoType({"S": plan.hash}))  # never a new entry
    items: list[Any] = list(partition.values()) if isinstance(partition, dict) else []
    for item in items:
        if not isinstance(item, Item) or type(getattr(item.range_key, "value", None)) is not str:
            raise _NotPlain
    items.sort(key=lambda item: item.range_key.value)
    keys = [item.range_key.value for item in items]
    after = plan.after
    if plan.forward:
        return items if after is None else items[bisect_right(keys, after) :]
    return (items if after is None else items[: bisect_left(keys, after)])[::-1]


def _page(plan: _Plan) -> tuple[list[Any], Any]:
    """moto's loop: the kept items and the last one's keys if the page was cut."""
    kept: list[Any] = []
    size, limit, match = 0, plan.limit, plan.match
    for item in _ordered(plan):
        if limit is not None and len(kept) == limit:
            return kept, kept[-1]
        matches = match is None or match(item.range_key.value)
        if matches or size > RESULT_SIZE_LIMIT - ITEM_SIZE_LIMIT:
            item_size = _size(item)
            if size + item_size > RESULT_SIZE_LIMIT:
                return kept, kept[-1]  # as moto: an empty page here would raise
            if matches:
                kept.append(item)
                size += item_size
    return kept, None


def answered_here(handler: Any) -> str | None:
    """The answer to a plain Query (see the module's docstring), or None."""
    try:
        plan = _plan(handler)
        kept, last = _page(plan)
    except _NotPlain:
        return None
    answer: dict[str, Any] = {}
    if not plan.count_only:
        items = [written_item(item.attrs, plan.projected) for item in kept]
        if any(item is None for item in items):
            return None
        answer["Items"] = items
    answer["Count"] = answer["ScannedCount"] = len(kept)
    if last is not None:
        answer["LastEvaluatedKey"] = {
            plan.table.hash_key_attr: {"S": last.hash_key.value},
            plan.table.range_key_attr: {"S": last.range_key.value},
        }
    if plan.capacity is not None:
        answer["ConsumedCapacity"] = plan.capacity
    return json.dumps(answer)


def install() -> None:
    """Apply the change; refused unless the moto it was written for is installed."""
    if installed():
        return
    check_moto_version()
    from moto.dynamodb.responses import DynamoHandler

    # answered_here looked up at each call: the tests record its answers
    _patches.replace(
        DynamoHandler, "query", answered_first(DynamoHandler.query, lambda h: answered_here(h))
    )


def installed() -> bool:
    return bool(_patches)


def uninstall() -> None:
    """Put moto's own back (for tests that compare both in one process)."""
    _patches.restore()
