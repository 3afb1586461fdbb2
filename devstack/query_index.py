"""DynamoDB Query on the local emulator, served by partition and by index (moto 5.2.5).

Why: moto's ``Table.query`` (``moto/dynamodb/models/table.py``) lists and sorts every item
of the table (``Table.all_items``) and tests each against the key, so every read by key
got slower as local data grew: a 20-entry feed read took about 1 s once 150,000 entries
of other users were in the table. DynamoDB's Query costs the items it reads. This module
keeps moto and its Query code, and changes only which items that code is shown.
``install()`` runs in the emulator process (``devstack.emulator_server``, started by
``devstack.emulator.start_emulator``); product code never knows.
``LOCAL_QUERY_INDEX=0`` runs stock moto instead. Written by hand because no library
indexes moto's in-memory tables; the only offline alternative, dynalite, would also move
the template deploy, the snapshot and the reliability check's table export.

How: during one Query, ``Table.all_items`` (read by the Query alone, in this thread alone)
returns only the candidates:

- a table Query: the key's partition, ``table.items[hash_key]``, which is moto's own
  storage, in its stored order (moto sorts a table Query's matches by range key, which is
  unique within a partition, so the order shown changes nothing);
- an index Query (GSI or LSI): the items listed under the index's hash attribute values
  in a map this module keeps per table (values -> primary keys), built from the table at
  the first Query of that index and then kept up by the write paths below, in the order
  ``all_items`` gives them (by table hash key, then range key).

moto's Query then applies its own hash, range, filter, sort, page, projection and count
logic to the candidates. Its result depends on the items listed only through the items
that pass its hash-key test, kept in the order shown, so the result is the stock result
whenever the candidates, in that order, contain every stored item that passes that
test and nothing that is not stored. Extra candidates only cost time; a key in the map
whose item is gone is skipped. A Query of another shape (no hash key, a hash condition
that does not name the index's hash attributes, a value that cannot be hashed) gets
stock moto. Scan, GetItem, PartiQL and everything else read the table as before.

Invariants of moto 5.2.5's storage relied on:

- ``Table.items`` maps a hash key to its partition (a dict of range key -> ``Item``) or,
  in a table without a range key, to the ``Item``; every stored item's ``hash_key`` and
  ``range_key`` are the keys it is stored under (``Table.put_item`` is the only writer
  of a key; ``delete_item`` the only remover; restores copy whole tables).
- ``DynamoType`` equality is type and cast value, and its hash is the hash of the same
  pair, so a dict lookup finds exactly the values moto's ``==`` test accepts (numbers by
  value: ``"1"`` and ``"1.0"`` are one key, as in moto).
- An item's attributes change in place only in ``DynamoDBBackend.update_item`` (the
  update expression's executor, or ``AttributeUpdates``); every other write stores a new
  ``Item``.

How the index maps stay complete on every write path:

- PutItem, BatchWriteItem puts, PartiQL writes, the snapshot restore of
  ``devstack/snapshot.py`` / ``persistence.py`` (BatchWriteItem over HTTP) and S3
  imports all store through ``Table.put_item``: wrapped, the stored item is placed under
  its current values (its old values dropped), or left out when an index attribute is
  missing, which is how an item leaves a sparse GSI such as ``pulled`` or ``pulling``.
- DeleteItem and BatchWriteItem deletes go through ``Table.delete_item``: wrapped, the key
  is dropped.
- UpdateItem (including an update that adds or removes a sparse index's attribute) is
  wrapped at ``DynamoDBBackend.update_item``: after it, the item is placed again; after a
  failure too, since an update can change an item part-way before it fails.
- TransactWriteItems writes through the three above; a cancelled transaction puts back
  deep copies of its tables, new ``Table`` objects that have no map yet (built at their
  first index Query). So do table restores from a backup or a point in time.
- DeleteTable, a CloudFormation stack deletion and moto's reset API (``/moto-api/reset``)
  drop the ``Table`` object: maps are held per object (weakly), and a table made again
  under the same name is a new object with maps of its own.
- UpdateTable adding or replacing a GSI: maps are keyed by the index's hash attribute
  names, so a new index gets a map built from the items present at its first Query; maps
  of every index ever queried are kept up on each write.
- TTL: moto 5.2.5 records UpdateTimeToLive and never deletes expired items, so there is
  nothing to follow (stock moto returns them too).
- Threads: moto's server answers each request on a thread of its own. A table's maps
  change under one lock; a map is built under that lock after it is registered, so a
  write either is in the items the build lists or places itself after the build. A Query
  that starts after a write's response sees that write.

Any other moto version may store or query differently: ``install()`` refuses it
(``MotoVersionError``); ``requirements-dev.txt`` pins this version, and
``tests/integration/test_query_index_differential.py`` holds the changed emulator to
stock moto's answers.
"""

from __future__ import annotations

import inspect
import threading
import weakref
from collections.abc import Callable, Iterable
from importlib.metadata import version
from typing import Any

from .patches import Patches

__all__ = [
    "MOTO_VERSION",
    "MotoVersionError",
    "check_moto_version",
    "install",
    "installed",
    "uninstall",
]

MOTO_VERSION = "5.2.5"

PrimaryKey = tuple[Any, Any]  # (hash key, range key or None), as DynamoType values
Values = tuple[Any, ...]  # an item's values of an index's hash attributes


class MotoVersionError(RuntimeError):
    """The installed moto is not the version this change was written and checked for."""


def check_moto_version(installed_version: str | None = None) -> None:
    """Raise ``MotoVersionError`` unless moto ``MOTO_VERSION`` is installed."""
    found = installed_version if installed_version is not None else version("moto")
    if found != MOTO_VERSION:
        raise MotoVersionError(
            f"devstack/query_index.py was written for moto {MOTO_VERSION}, but moto {found} "
            f"is installed: install moto=={MOTO_VERSION} (`make install`, "
            "requirements-dev.txt), or set LOCAL_QUERY_INDEX=0 to run stock moto until the "
            "change is checked against the new version"
        )


# -- moto's storage, read without changing it ------------------------------------------


def _key(item: Any) -> PrimaryKey:
    return (item.hash_key, item.range_key)


def _stored(table: Any, key: PrimaryKey) -> Any:
    """The item stored under ``key``, or None; ``get``, so that the defaultdict of
    partitions gains no empty one."""
    from moto.dynamodb.models.dynamo_type import Item

    partition = table.items.get(key[0])
    if isinstance(partition, dict):
        return partition.get(key[1]) if table.range_key_attr is not None else None
    return partition if isinstance(partition, Item) else None


def _stored_items(table: Any) -> list[Any]:
    """Every stored item, in no order. ``list()`` copies each dict in one step."""
    from moto.dynamodb.models.dynamo_type import Item

    found: list[Any] = []
    for partition in list(table.items.values()):
        if isinstance(partition, dict):
            found.extend(list(partition.values()))
        elif isinstance(partition, Item):
            found.append(partition)
    return found


def _in_listing_order(items: Iterable[Any]) -> list[Any]:
    """``items`` in the order moto 5.2.5's ``Table.all_items`` lists a table (its sort key)."""
    return sorted(items, key=lambda x: (x.hash_key, x.range_key) if x.range_key else x.hash_key)


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:  # a set, list or map value: DynamoType hashes its cast value
        return False
    return True


# -- the maps --------------------------------------------------------------------------


class _IndexMap:
    """One index's partitions: values of its hash attributes -> keys of the items holding
    them. ``placed`` remembers each key's values, so a changed item leaves its old place."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = names
        self.partitions: dict[Values, set[PrimaryKey]] = {}
        self.placed: dict[PrimaryKey, Values] = {}

    def values(self, item: Any) -> Values | None:
        """The item's values of the hash attributes; None if it lacks one (a sparse index
        leaves it out) or one cannot be hashed (no hash key condition can equal it)."""
        found = tuple(item.attrs.get(name) for name in self.names)
        if any(value is None for value in found) or not _hashable(found):
            return None
        return found

    def place(self, item: Any) -> None:
        key, values = _key(item), self.values(item)
        old = self.placed.get(key)
        if old is not None and values is not None and old == values:
            return
        self.drop(key)
        if values is not None:
            self.partitions.setdefault(values, set()).add(key)
            self.placed[key] = values

    def drop(self, key: PrimaryKey) -> None:
        old = self.placed.pop(key, None)
        if old is None:
            return
        keys = self.partitions[old]
        keys.discard(key)
        if not keys:
            del self.partitions[old]


class _TableMaps:
    """The maps of one table, one per set of index hash attribute names, under one lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.maps: dict[tuple[str, ...], _IndexMap] = {}

    def place(self, item: Any) -> None:
        with self.lock:
            for index in self.maps.values():
                index.place(item)

    def drop(self, key: PrimaryKey) -> None:
        with self.lock:
            for index in self.maps.values():
                index.drop(key)

    def keys(self, table: Any, names: tuple[str, ...], values: Values) -> list[PrimaryKey]:
        with self.lock:
            index = self.maps.get(names)
            if index is None:  # registered first: writes from now on wait for the lock
                index = self.maps[names] = _IndexMap(names)
                for item in _stored_items(table):
                    index.place(item)
            return list(index.partitions.get(values, ()))


_TABLES: weakref.WeakKeyDictionary[Any, _TableMaps] = weakref.WeakKeyDictionary()
_TABLES_LOCK = threading.Lock()


def _maps_of(table: Any) -> _TableMaps:
    with _TABLES_LOCK:
        maps = _TABLES.get(table)
        if maps is None:
            maps = _TABLES[table] = _TableMaps()
        return maps


def _placed(table: Any, item: Any) -> None:
    maps = _TABLES.get(table)
    if maps is not None:
        maps.place(item)


def _dropped(table: Any, key: PrimaryKey) -> None:
    maps = _TABLES.get(table)
    if maps is not None:
        maps.drop(key)


# -- what one Query is shown -----------------------------------------------------------


def candidates(
    table: Any, hash_key: Any, index_name: str | None, hash_key_conditions: Any
) -> list[Any] | None:
    """The items a Query can match (an index's in listing order); None: moto lists the
    whole table."""
    if index_name is None:
        if hash_key is None or not _hashable(hash_key):
            return None
        partition = table.items.get(hash_key)
        if isinstance(partition, dict):
            # in any order: moto sorts a table Query's matches by range key, unique within
            # a partition, so the order shown changes nothing (sorting twice cost a
            # 10,000-follower page a tenth of a second)
            return list(partition.values())
        return [] if partition is None else [partition]
    index = next((i for i in table.all_indexes() if i.name == index_name), None)
    if index is None:
        return None  # moto answers with its own error
    names = tuple(k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH")
    conditions = dict(hash_key_conditions or [])
    if not names or set(conditions) != set(names):
        return None
    values = tuple(conditions[name] for name in names)
    if not _hashable(values):
        return None
    keys = _maps_of(table).keys(table, names, values)
    found = (_stored(table, key) for key in keys)
    return _in_listing_order(item for item in found if item is not None)


_local = threading.local()  # (table, its candidates) while that table's Query runs here


# -- the patch -------------------------------------------------------------------------

_PATCHES = Patches()


def _changes() -> dict[str, Callable[..., Any]]:
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    stock_query, stock_all_items = Table.query, Table.all_items
    stock_put, stock_delete = Table.put_item, Table.delete_item
    stock_update = DynamoDBBackend.update_item
    query_signature = inspect.signature(stock_query)

    def query(self: Any, *args: Any, **kwargs: Any) -> Any:
        given = query_signature.bind(self, *args, **kwargs).arguments
        shown = candidates(
            self, given.get("hash_key"), given.get("index_name"), given.get("hash_key_conditions")
        )
        if shown is None:
            return stock_query(self, *args, **kwargs)
        outer = getattr(_local, "shown", None)
        _local.shown = (self, shown)
        try:
            return stock_query(self, *args, **kwargs)
        finally:
            _local.shown = outer

    def all_items(self: Any) -> list[Any]:
        shown = getattr(_local, "shown", None)
        if shown is not None and shown[0] is self:
            return list(shown[1])
        return stock_all_items(self)

    def put_item(self: Any, *args: Any, **kwargs: Any) -> Any:
        item = stock_put(self, *args, **kwargs)
        _placed(self, item)
        return item

    def delete_item(self: Any, *args: Any, **kwargs: Any) -> Any:
        item = stock_delete(self, *args, **kwargs)
        if item is not None:
            _dropped(self, _key(item))
        return item

    def update_item(backend: Any, table_name: str, key: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            item = stock_update(backend, table_name, key, *args, **kwargs)
        except BaseException:
            _place_after_failed_update(backend, table_name, key, DynamoType)
            raise
        _placed(backend.get_table(table_name), item)
        return item

    return {
        "Table.query": query,
        "Table.all_items": all_items,
        "Table.put_item": put_item,
        "Table.delete_item": delete_item,
        "DynamoDBBackend.update_item": update_item,
    }


def _place_after_failed_update(backend: Any, table_name: str, key: Any, dynamo: type) -> None:
    """An update that failed may have changed its item part-way: place it as it is now."""
    try:
        table = backend.get_table(table_name)
        hash_key = dynamo(key[table.hash_key_attr])
        range_key = dynamo(key[table.range_key_attr]) if table.range_key_attr else None
    except Exception:  # no such table, or a malformed key: moto changed nothing
        return
    stored = _stored(table, (hash_key, range_key))
    if stored is None:
        _dropped(table, (hash_key, range_key))
    else:
        _placed(table, stored)


def _owners() -> dict[str, Any]:
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    return {"Table": Table, "DynamoDBBackend": DynamoDBBackend}


def install() -> None:
    """Serve moto's DynamoDB Query by partition and index in this process (idempotent)."""
    check_moto_version()
    if _PATCHES:
        return
    owners = _owners()
    for name, patched in _changes().items():
        owner, attribute = name.split(".")
        _PATCHES.replace(owners[owner], attribute, patched)


def uninstall() -> None:
    """Stock moto again (for tests); the maps are forgotten."""
    _PATCHES.restore()
    with _TABLES_LOCK:
        _TABLES.clear()


def installed() -> bool:
    return bool(_PATCHES)
