"""Three costs of moto 5.2.5's DynamoDB items that DynamoDB does not have, removed in the
emulator process: building an item, measuring it, and projecting it.

Why: every item the fan-out writes is built once per write, measured twice per Query
result (the 1 MB page limit) and projected once per read with ``attributes_to_get``
(the follower pages, the last reads, the tombstones). Timed in this process, a feed
entry of 6 attributes took 29 us to build, a relationship 4 us to measure and 12 us to
project to its ``follower_id``: 160 ms of the 380 ms of emulator CPU a range worker's
Query page of 10,000 relationships costs (``make bench-emulator``). In moto:

- ``Item.__init__`` puts each attribute into a ``LimitedSizeDict``, whose
  ``__setitem__`` re-measures every attribute already in it: quadratic in the attributes;
- ``DynamoType.size`` asks five type questions before measuring a string;
- ``Item.project`` turns the whole item into plain Python values (boto3's deserializer),
  picks the projected paths, and serializes them back, for every item of a page.

What changes, and why it answers the same:

- ``Item.__init__`` builds the attribute values as moto does, in the same order, and
  keeps a running total of their sizes for moto's limit (405,000 bytes of names and
  values, ``ItemSizeTooLarge``): moto's check re-measures the attributes already in the
  item before each one, and compares the same sum at the same attribute. Later writes
  to an item's attributes still go through ``LimitedSizeDict``'s own check.
- ``DynamoType.size`` of an ``S`` value that is a ``str`` is its UTF-8 length: the last
  branch moto reaches for it (``bytesize``). Every other value takes moto's path.
- ``Item.project`` of top-level attribute names only (each expression one name, without
  ``[``, so no list index) where every projected attribute present is an ``S`` string:
  the new item holds a new ``S`` value of each present name, in the order of the
  expressions, a repeated name once. That is what the round trip gives: a string
  deserializes to itself and serializes back to ``{"S": value}``, ``merge_dicts`` keeps
  a key's first position, an absent name projects nothing. Anything else (a nested
  path, a number, a set) takes moto's path: a number's round trip goes through
  ``Decimal`` and can change how it is written. One answer differs, for an item DynamoDB
  would not hold: moto stores a number of more than 38 digits, then fails every
  projection of that item (its round trip raises ``Inexact``); here a projection of the
  item's strings still answers.

Checked: ``tests/unit/test_item_speedups.py`` builds, measures and projects random
items of every attribute type, nested, through both paths and requires identical
answers, the size limit included; the differential test
(``tests/integration/test_query_index_differential.py``) compares a random sequence of
calls against stock moto over HTTP. ``LOCAL_QUERY_INDEX=0`` runs stock moto, without
these either. Written by hand: no library speeds moto's server up.
"""

from __future__ import annotations

import functools
from typing import Any

from .patches import Patches
from .query_index import check_moto_version

__all__ = ["install", "installed", "top_level_names", "uninstall"]

_patches = Patches()
ITEM_SIZE_LIMIT = 405_000  # moto's LimitedSizeDict limit, bytes of names and values


def _string_size(size: Any) -> Any:
    @functools.wraps(size)
    def string_size(self: Any) -> int:
        if self.type == "S" and type(self.value) is str:
            return len(self.value.encode("utf-8"))
        return int(size(self))

    return string_size


def _built_once(init: Any) -> Any:
    from moto.dynamodb.exceptions import ItemSizeTooLarge
    from moto.dynamodb.models.dynamo_type import DynamoType, LimitedSizeDict
    from moto.dynamodb.models.utilities import bytesize

    @functools.wraps(init)
    def built_once(self: Any, hash_key: Any, range_key: Any, attrs: dict[str, Any]) -> None:
        self.hash_key = hash_key
        self.range_key = range_key
        values, size = {}, 0
        for key, value in attrs.items():
            values[key] = typed = DynamoType(value)
            size += bytesize(key) + typed.size()
            if size > ITEM_SIZE_LIMIT:
                raise ItemSizeTooLarge
        self.attrs = LimitedSizeDict.__new__(LimitedSizeDict)
        dict.__init__(self.attrs, values)

    return built_once


def _strings_projected(project: Any) -> Any:
    from moto.dynamodb.models.dynamo_type import DynamoType, LimitedSizeDict

    @functools.wraps(project)
    def strings_projected(self: Any, projection_expressions: list[list[str]]) -> Any:
        names = top_level_names(projection_expressions)
        attrs = self.attrs
        if names is None or any(
            name in attrs and (attrs[name].type != "S" or type(attrs[name].value) is not str)
            for name in names
        ):
            return project(self, projection_expressions)
        item = self.__class__.__new__(self.__class__)
        item.hash_key, item.range_key = self.hash_key, self.range_key
        item.attrs = LimitedSizeDict.__new__(LimitedSizeDict)
        dict.__init__(
            item.attrs,
            {name: DynamoType({"S": attrs[name].value}) for name in names if name in attrs},
        )
        return item

    return strings_projected


def top_level_names(expressions: list[list[str]]) -> list[str] | None:
    """The projected names in order, each once, if every expression is one plain name."""
    names: dict[str, None] = {}
    for path in expressions:
        if len(path) != 1 or type(path[0]) is not str or "[" in path[0]:
            return None
        names.setdefault(path[0])
    return list(names)


def install() -> None:
    """Apply the three changes; refused unless the moto they were written for is installed."""
    if installed():
        return
    check_moto_version()
    from moto.dynamodb.models.dynamo_type import DynamoType, Item

    _patches.replace(Item, "__init__", _built_once(Item.__init__))
    _patches.replace(DynamoType, "size", _string_size(DynamoType.size))
    _patches.replace(Item, "project", _strings_projected(Item.project))


def installed() -> bool:
    return bool(_patches)


def uninstall() -> None:
    """Put moto's own back (for tests that compare both in one process)."""
    _patches.restore()
