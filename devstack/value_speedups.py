"""DynamoDB string values compared and hashed without moto 5.2.5's five type questions,
and a Query page's start key compared without building values, in the emulator process.

Why: every key moto compares goes through ``DynamoType.cast_value``, which asks whether
the value is a number, a set, a list, a map or null before it hands back a string as
it is. A Query compares keys all the way through: each item of the partition against
the Query's hash key, the sort of the partition by range key, and every item before
an ``ExclusiveStartKey`` against that key (``Table._item_comes_before_dct``). Timed in
this process, a range worker's page of 1,001 relationships from a partition of 10,000
spent most of its time there: 670,000 ``cast_value`` calls for 10 pages, each asking
its five questions. GetItem, BatchGetItem and every write find their item by hashing
and comparing keys the same way.

What changes, and why it answers the same: for a value of type ``S``, ``cast_value`` is
its ``value`` (moto's last branch: ``S`` is none of ``N``, ``SS``/``NS``/``BS``, ``L``,
``M``, ``NULL``). So:

- ``cast_value`` of an ``S`` value returns ``value`` at once;
- ``==``, ``!=`` and ``<`` of two ``DynamoType`` objects that are both ``S`` compare
  their ``value``s, as moto's ``self.type == other.type and self.cast_value ==
  other.cast_value`` (and its negation, and ``self.cast_value < other.cast_value``) do
  for them;
- ``hash`` of an ``S`` value is ``hash(("S", value))``, moto's ``hash((self.type,
  self.cast_value))``;
- ``Table._item_comes_before_dct`` (is this item at or before the page's start key?)
  walks the same sort attributes in the same order and, for each the item holds,
  compares the item's ``S`` value with the start key's ``{"S": value}`` directly, where
  moto builds a ``DynamoType`` of the start key's value twice per attribute per item:
  the same ``!=`` then ``<`` on the same two values.

Every other pair (a number, a set, mixed types, an operand that is not a
``DynamoType``, a start key value that is not ``{"S": ...}``) takes moto's own method,
so its answers and its errors are moto's; moto's start-key test is a pure function, so
falling back to it part-way gives its answer.

Checked: ``tests/unit/test_value_speedups.py`` compares and hashes random values of every
type through both paths and requires identical answers (or the same exception), and
pages table and index Queries after a start key both ways, string and number keys; the
differential test (``tests/integration/test_query_index_differential.py``) compares a
random sequence of calls against stock moto over HTTP. ``LOCAL_QUERY_INDEX=0`` runs
stock moto, without this either. Written by hand: no library speeds moto's server up.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from typing import Any

from .patches import Patches
from .query_index import check_moto_version

__all__ = ["install", "installed", "uninstall"]

_patches = Patches()


def _string_cast(cast: Any) -> property:
    moto_cast = cast.fget

    @functools.wraps(moto_cast)
    def cast_value(self: Any) -> Any:
        if self.type == "S":
            return self.value
        return moto_cast(self)

    return property(cast_value)


def _strings_compared(
    moto_op: Callable[[Any, Any], bool], string_op: Callable[[Any, Any], bool]
) -> Callable[[Any, Any], bool]:
    """moto's ``moto_op``, but ``string_op`` of the two values when both are ``S``."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    @functools.wraps(moto_op)
    def compare(self: Any, other: Any) -> bool:
        if self.type == "S" and type(other) is DynamoType and other.type == "S":
            return string_op(self.value, other.value)
        return moto_op(self, other)

    return compare


def _string_hash(moto_hash: Callable[[Any], int]) -> Callable[[Any], int]:
    @functools.wraps(moto_hash)
    def hash_value(self: Any) -> int:
        if self.type == "S":
            return hash(("S", self.value))
        return moto_hash(self)

    return hash_value


def _start_key_compared(moto_before: Any) -> Any:
    """``Table._item_comes_before_dct`` comparing strings directly while the item's sort
    attribute and the start key's are both ``S``; moto's own for anything else."""

    @functools.wraps(moto_before)
    def comes_before(
        self: Any,
        item: Any,
        dct: dict[str, Any],
        hash_key_attrs: list[str],
        range_key_attrs: list[str | None],
        scan_index_forward: bool,
    ) -> bool:
        for attr in self._generate_attr_to_sort_by(hash_key_attrs, range_key_attrs):
            if attr not in item.attrs:
                continue
            mine, given = item.attrs[attr], dct.get(attr)
            if mine.type != "S" or type(given) is not dict or list(given) != ["S"]:
                return bool(
                    moto_before(
                        self, item, dct, hash_key_attrs, range_key_attrs, scan_index_forward
                    )
                )
            if mine.value != given["S"]:
                return (mine.value < given["S"]) == scan_index_forward
        return True

    return comes_before


def install() -> None:
    """Apply the change; refused unless the moto it was written for is installed."""
    if installed():
        return
    check_moto_version()
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    _patches.replace(DynamoType, "cast_value", _string_cast(DynamoType.cast_value))
    _patches.replace(DynamoType, "__eq__", _strings_compared(DynamoType.__eq__, operator.eq))
    _patches.replace(DynamoType, "__ne__", _strings_compared(DynamoType.__ne__, operator.ne))
    _patches.replace(DynamoType, "__lt__", _strings_compared(DynamoType.__lt__, operator.lt))
    _patches.replace(DynamoType, "__hash__", _string_hash(DynamoType.__hash__))
    _patches.replace(
        Table, "_item_comes_before_dct", _start_key_compared(Table._item_comes_before_dct)
    )


def installed() -> bool:
    return bool(_patches)


def uninstall() -> None:
    """Put moto's own back (for tests that compare both in one process)."""
    _patches.restore()
