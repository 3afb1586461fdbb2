"""DynamoDB's BatchGetItem answered in one pass over its keys, in the emulator process.

Why: the fan-out looks every follower up before it writes (the inactive followers'
last reads, 100 keys a BatchGetItem: ten calls per 1,000 entries beside forty
BatchWriteItem calls), and moto 5.2.5's BatchGetItem made each of those cost the
emulator 1.4 times a BatchWriteItem of 25 (3.83 ms against 2.72 ms of emulator CPU per
call, two emulators side by side). Profiled (py-spy, a loop of BatchGetItems of 100
two-attribute items), moto's handler spent its time around the lookups, not in them:
for each key it finds the table again, checks the key, projects the item into a new
item, measures it twice (the 16 MB answer limit) and describes it; then the answer
goes through ``dynamo_to_dict`` and the generic serializer, value by value (together
28 % of the emulator's samples), and the keys are checked for duplicates by comparing
each with every earlier one (4 %). Measured the same way as the 3.83 ms (two emulators
at once, the same calls to each in alternating blocks, each process's CPU from
``/proc``; 2026-12-07 22:30 UTC, a faster hour): 3.15 ms a BatchGetItem of 100 keys
through moto's handler, 1.43 ms here.

What changes, and why it answers the same: ``DynamoHandler.batch_get_item`` first tries
a plain request, and answers it in one pass; anything else goes to moto's handler as
it is. A plain request holds at most 100 keys in all; names only tables that exist by
name; asks for nothing but ``Keys``, ``ProjectionExpression``, ``ExpressionAttributeNames``
and ``ConsistentRead`` (moto reads every item the same way either way) of each table;
each key names exactly its table's key attributes, each an ``S`` or ``N`` string, and no
key is repeated within a table (moto compares keys as ``dict``s: two plain keys are equal
exactly when they hold the same names, types and strings); its projection, if any, is
one or more top-level names, parsed and checked by moto's own parser and
``validate_attributes_used``. Then each key is looked up with moto's own
``Table.get_item``, in the request's order, and an item found is written as moto writes
it: without a projection every attribute in the item's order, with one the projected
names present in the item, in the projection's order, each once (what
``devstack.item_speedups`` checks against moto's ``Item.project``). Every value written
must be an ``S`` or ``N`` string (``str(value)`` is the serializer's rule), and a
projected one an ``S`` (moto's projection round-trips numbers through ``Decimal``), and
the answer is written as moto's JSON serializer writes it: ``Responses`` by table in
the request's order, an empty ``UnprocessedKeys``, one ``ConsumedCapacity`` per table of
as many units as keys (a float), with ``json.dumps``'s defaults, and DynamoDB's content
type. moto holds keys back once the items' sizes pass 16 MB; an item's size is never
more than its written JSON (a name or an ``S`` value's UTF-8 bytes, at most its
escaped characters; an ``N`` value its characters), so an answer under 16 MB of text
held nothing back, and a longer one is left to moto. Whenever any of this does not
hold, or anything raises, moto's handler answers the request from the start: a read
changes nothing, so answering it twice is safe.

Checked: the differential test (``test_query_index_differential.py``) sends BatchGetItems
of found, missing, projected and repeated keys among its random sequence to this emulator
and to stock moto and requires equal answers; ``test_direct_dispatch.py`` compares the
raw HTTP answers, headers included; ``tests/unit/test_batch_get_speedups.py`` sends
random requests, plain and not, to moto's own handler and to this one in one process and
requires the same bytes, and checks that the fan-out's lookup is answered here.
``LOCAL_QUERY_INDEX=0`` runs stock moto, without this either. Written by hand: no library
speeds moto up.
"""

from __future__ import annotations

import json
from typing import Any

from .item_speedups import top_level_names
from .one_pass import answered_first
from .patches import Patches
from .query_index import check_moto_version

__all__ = ["answered_here", "install", "installed", "uninstall", "written_item"]

_patches = Patches()
MAX_KEYS = 100  # DynamoDB's limit on one BatchGetItem, checked by moto's handler
ANSWER_LIMIT = 16 * 1024 * 1024  # moto's limit on the items' sizes of one answer
_TABLE_FIELDS = frozenset(
    ("Keys", "ProjectionExpression", "ExpressionAttributeNames", "ConsistentRead")
)
_REQUEST_FIELDS = frozenset(("RequestItems", "ReturnConsumedCapacity"))
_PLAIN_TYPES = frozenset(("S", "N"))


def _plain(value: Any) -> tuple[str, str] | None:
    """An ``S`` or ``N`` value's type and string, or None."""
    if isinstance(value, dict) and len(value) == 1:
        ((kind, text),) = value.items()
        if kind in _PLAIN_TYPES and type(text) is str:
            return kind, text
    return None


def _key_names(table: Any) -> frozenset[str]:
    names = {table.hash_key_attr}
    if table.has_range_key:
        names.add(table.range_key_attr)
    return frozenset(names)


def _plain_keys(keys: Any, table: Any) -> bool:
    """Whether every key is its table's key of ``S``/``N`` strings, none repeated."""
    if not isinstance(keys, list) or not keys:
        return False
    names, seen = _key_names(table), set()
    for key in keys:
        if not isinstance(key, dict) or key.keys() != names:
            return False
        values = [(name, _plain(value)) for name, value in key.items()]
        if any(value is None for _, value in values):
            return False
        marker = frozenset(values)
        if marker in seen:
            return False
        seen.add(marker)
    return True


class _NotPlain(Exception):
    """A request moto's handler must answer."""


def _projection(request: dict[str, Any]) -> list[str] | None:
    """The projected names, or None for every attribute."""
    from moto.dynamodb.responses import ProjectionExpressionParser, validate_attributes_used

    placeholders = request.get("ExpressionAttributeNames", {})
    parser = ProjectionExpressionParser(request.get("ProjectionExpression"), placeholders)
    try:
        paths = parser.parse()
        validate_attributes_used(
            placeholders, parser.expr_attr_names_found, validation_error_prefix=False
        )
    except Exception as refused:  # moto's handler raises it again, as moto does
        raise _NotPlain from refused
    if not paths:
        return None
    names = top_level_names(paths)
    if names is None:
        raise _NotPlain
    return names


def written_item(attrs: Any, names: list[str] | None) -> dict[str, Any] | None:
    """An item as moto's answer writes it, or None if a value is not a plain string."""
    if names is None:
        out = {}
        for name, value in attrs.items():
            if value.type not in _PLAIN_TYPES or type(value.value) is not str:
                return None
            out[name] = {value.type: value.value}
        return out
    projected = {}
    for name in names:
        value = attrs.get(name)
        if value is None:
            continue
        if value.type != "S" or type(value.value) is not str:
            return None
        projected[name] = {"S": value.value}
    return projected


def answered_here(handler: Any) -> str | None:
    """The answer to a plain BatchGetItem (see the module's docstring), or None."""
    try:
        return _answer(handler)
    except _NotPlain:
        return None


def _answer(handler: Any) -> str | None:
    from moto.dynamodb.models.dynamo_type import DynamoType

    body = handler.body
    if not isinstance(body, dict) or body.keys() - _REQUEST_FIELDS:
        return None
    tables = body.get("RequestItems")
    if not isinstance(tables, dict) or not tables:
        return None
    backend = handler.dynamodb_backend
    plans, keys_in_all = [], 0
    for name, request in tables.items():
        table = backend.tables.get(name)
        if table is None or not isinstance(request, dict) or request.keys() - _TABLE_FIELDS:
            return None
        keys: list[Any] = request.get("Keys") or []
        if not _plain_keys(keys, table):
            return None
        names = _projection(request)
        keys_in_all += len(keys)
        plans.append((name, table, keys, names))
    if keys_in_all > MAX_KEYS:
        return None
    responses, capacity = {}, []
    for name, table, keys, names in plans:
        hash_name, range_name = table.hash_key_attr, table.range_key_attr
        found = []
        for key in keys:
            range_key = DynamoType(key[range_name]) if table.has_range_key else None
            item = table.get_item(DynamoType(key[hash_name]), range_key)
            if item is None:
                continue
            written = written_item(item.attrs, names)
            if written is None:
                return None
            found.append(written)
        responses[name] = found
        capacity.append({"TableName": name, "CapacityUnits": float(len(keys))})
    answer = json.dumps(
        {"Responses": responses, "UnprocessedKeys": {}, "ConsumedCapacity": capacity}
    )
    return answer if len(answer) <= ANSWER_LIMIT else None


def install() -> None:
    """Apply the change; refused unless the moto it was written for is installed."""
    if installed():
        return
    check_moto_version()
    from moto.dynamodb.responses import DynamoHandler

    # answered_here looked up at each call: the tests record its answers
    _patches.replace(
        DynamoHandler,
        "batch_get_item",
        answered_first(DynamoHandler.batch_get_item, lambda h: answered_here(h)),
    )


def installed() -> bool:
    return bool(_patches)


def uninstall() -> None:
    """Put moto's own back (for tests that compare both in one process)."""
    _patches.restore()
