"""Five costs of moto 5.2.5's server that DynamoDB does not have, removed in the emulator
process: routing each request to its service, listing its handler's methods, finding its
account's backend, copying each item of a Query page, and writing each DynamoDB item.

Why: profiled under the fan-out benchmark (py-spy on the emulator, ``make bench-post``),
with the emulator's one core saturated, a third of its time went to routing and
writing, not to the work asked for, and the next profile found the copying:

- 16 % routing: ``DomainDispatcherApplication.get_backend_for_host`` lists moto's
  package directory (``list_of_moto_modules``: an ``os.listdir`` and an ``isdir`` per
  entry) and tries every service's URL patterns, on every request, under the server's
  one routing lock, so every request waits for every other's routing;
- 17 % answering: moto's generic ``ResponseSerializer`` writes every ``AttributeValue``
  of every item by walking its ten model members, building an attribute-picker context
  and six alias providers per member. A Query page of 1,000 relationships took longer
  to write than to find. With the values written directly, the map around them (each
  item) still took the generic path member by member: timed in one process, a
  BatchGetItem answer of 100 items took 0.55 ms to write, a Query page of 1,001 ids
  2.98 ms; with the maps and single-member values written directly, 0.38 and 2.19 ms.
- 14 % copying (profiled after the two above): ``Table.query`` deep-copies every item of
  its page (``copy.deepcopy(results)``), every attribute value of it, before answering;
  a range worker's page is 10,000 relationships.
- 5.7 % listing (py-spy on the emulator, ``--gil``, 2,000 GetItems of one client):
  ``BaseResponse.call_action`` asks ``method_names_from_class`` for its handler's methods
  on every request, an ``inspect.getmembers`` over the class, to check that the action
  is one of them.
- 3.7 % finding the account (py-spy on the emulator, ``--gil``, ``make bench``): each
  ``dynamodb_backends[account]`` takes moto's global backend lock and lists the accounts
  (``BackendDict._create_account_specific_backend``), and a BatchGetItem asks once per
  key, so every request waits for every other's lookups.

What changes, and why it answers the same:

- ``get_backend_for_host`` is remembered per host string. Its answer depends only on
  the host and on the installed moto (its module folders and URL patterns), both fixed
  for the life of the process.
- ``method_names_from_class``, as ``moto.core.responses`` calls it, is remembered per
  class, as a set of the same names: its one caller asks only whether an action is
  among them. A handler class's functions are fixed once the emulator's changes are
  installed, before the first request (they replace methods, never add names).
- ``BackendDict._create_account_specific_backend`` returns at once for an account the
  dict already holds: under the lock, moto would find it among the keys and do nothing.
  A new account takes moto's path. moto's own ``__getitem__`` reads the entry after the
  lock is released either way, so a reset racing a request races as before.
- ``BaseJSONSerializer._serialize_type_structure`` writes a value of the
  ``AttributeValue`` shape given as a plain ``dict`` directly, with the same rules the
  generic path applies member by member, in the model's member order: a member whose
  value is None is left out; ``S``, ``N`` and the members of ``SS`` and ``NS`` are
  written as ``str(value)`` (the JSON serializer's string rule); ``B`` and the members
  of ``BS`` through the serializer's own ``_base64``; ``M``'s values and ``L``'s
  members as ``AttributeValue`` again (a None value of ``M`` left out, a None member of
  ``L`` kept, as the generic map and list rules do); ``NULL`` and ``BOOL`` as given.
  For a ``dict`` the picker's aliases resolve to the member's own name (no ``Meta``, no
  model serialization name, no class or shape prefix matches ``S``...``BOOL``), and
  DynamoDB's responses declare no response transformers (checked at each call: a
  serializer with transformers takes the generic path). A value of one member, as
  every stored value is, is written by that member's rule alone (a name the model does
  not have writes nothing, as the generic path writes only model members). Anything else
  (an error, a non-dict value, another shape) takes the generic path unchanged.
- ``BaseJSONSerializer._serialize_type_map`` writes a map of such values (an item, a
  key) directly: the map under the name the generic path gives it, each member written
  as above, a member whose value is None left out, as the structure rule leaves it out.
  A map with an empty name (the generic path would write that member's members into the
  map itself) or with a value the fast path does not write takes the generic path whole.
- Inside ``Table.query`` only, that copy makes new ``Item`` objects, each with its own
  attribute map over the stored item's values, instead of copies of the values. The
  page is only read after it: an index's or a ``ProjectionExpression``'s projection
  builds new items, a filter compares, the answer is written. A write of a top-level
  attribute replaces the stored value in the stored map (``Item.attrs[name] = ...``)
  and never reaches a page's map. Only an UpdateItem of a nested attribute or a set
  (``SET a.b``, ``ADD`` to a set) changes a value in place, and only an answer being
  written at that moment could show it half done; the product makes neither, and
  moto's UpdateItem is not atomic either. Every other deep copy of moto's table module
  (scans, backups) is moto's own.

Checked: ``tests/unit/test_emulator_speedups.py`` writes random ``AttributeValue``s of
every type, nested, through both paths and requires identical output, and the
differential test (``tests/integration/test_query_index_differential.py``) compares a
random sequence of calls against stock moto over HTTP. ``LOCAL_QUERY_INDEX=0`` runs
stock moto, without these either. Written by hand: no library speeds moto's server up.
"""

from __future__ import annotations

import copy
import functools
import threading
from typing import Any

from .patches import Patches
from .query_index import check_moto_version

__all__ = ["attribute_value", "install", "installed", "uninstall"]

_patches = Patches()
_in_query = threading.local()


class _TableCopy:
    """moto's table module's ``copy``: the standard module, but a Query's page copy."""

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value: Any, memo: Any = None) -> Any:
        if getattr(_in_query, "on", False) and type(value) is list:
            return [_over_stored_values(item) for item in value]
        return copy.deepcopy(value, memo)


def _over_stored_values(item: Any) -> Any:
    """A new ``Item`` holding the same attribute values (no size check: they passed it)."""
    from moto.dynamodb.models.dynamo_type import LimitedSizeDict

    page_item = item.__class__.__new__(item.__class__)
    page_item.hash_key, page_item.range_key = item.hash_key, item.range_key
    page_item.attrs = LimitedSizeDict.__new__(LimitedSizeDict)
    dict.__init__(page_item.attrs, item.attrs)
    return page_item


def _str_rule(value: Any) -> Any:
    """The JSON serializer's string rule (``_serialize_type_string``)."""
    return str(value) if value not in [None, {}, []] else value


def attribute_value(serializer: Any, value: dict[str, Any]) -> dict[str, Any]:
    """``value`` (an ``AttributeValue`` as a dict) as the generic serializer writes it."""
    written: dict[str, Any] = {}
    # one member, as every stored value has: its own name; else the model's order
    for name in value if len(value) == 1 else _MEMBERS:
        member = value.get(name)
        if member is None or name not in _MEMBER_NAMES:
            continue
        if name in ("S", "N"):
            written[name] = _str_rule(member)
        elif name == "B":
            written[name] = serializer._base64(member)
        elif name in ("SS", "NS"):
            written[name] = [_str_rule(x) for x in member]
        elif name == "BS":
            written[name] = [serializer._base64(x) for x in member]
        elif name == "M":
            written[name] = {
                key: _nested(serializer, x) for key, x in member.items() if x is not None
            }
        elif name == "L":
            written[name] = [None if x is None else _nested(serializer, x) for x in member]
        else:  # NULL, BOOL
            written[name] = member
    return written


def _nested(serializer: Any, value: Any) -> Any:
    if type(value) is dict:
        return attribute_value(serializer, value)
    raise _NotPlain


class _NotPlain(Exception):
    """A value the fast path does not write: the generic path writes the whole value."""


_MEMBERS: tuple[str, ...] = ()  # the AttributeValue shape's members, in model order
_MEMBER_NAMES: frozenset[str] = frozenset()


def _attribute_value_members() -> tuple[str, ...]:
    from moto.core.utils import get_service_model

    shape = get_service_model("dynamodb").shape_for("AttributeValue")
    return tuple(shape.members)


def _page_query(query: Any) -> Any:
    """``Table.query`` with its page copy made over the stored values (``_TableCopy``)."""

    @functools.wraps(query)
    def page_query(self: Any, *args: Any, **kwargs: Any) -> Any:
        outer = getattr(_in_query, "on", False)
        _in_query.on = True
        try:
            return query(self, *args, **kwargs)
        finally:
            _in_query.on = outer

    return page_query


def _routed_once(route: Any) -> Any:
    """``get_backend_for_host`` remembered per host."""

    @functools.wraps(route)
    def get_backend_for_host(self: Any, host: str | None) -> Any:
        known = self.__dict__.setdefault("_devstack_backends", {})
        if host not in known:
            known[host] = route(self, host)
        return known[host]

    return get_backend_for_host


def _listed_once(names: Any) -> Any:
    """``method_names_from_class`` remembered per class, as a set."""
    known: dict[Any, frozenset[str]] = {}

    @functools.wraps(names)
    def method_names_from_class(clazz: Any) -> frozenset[str]:
        if clazz not in known:
            known[clazz] = frozenset(names(clazz))
        return known[clazz]

    return method_names_from_class


def _account_known_first(create: Any) -> Any:
    """``_create_account_specific_backend`` skipping the lock for a known account."""

    @functools.wraps(create)
    def _create_account_specific_backend(self: Any, account_id: str) -> None:
        if not dict.__contains__(self, account_id):
            create(self, account_id)

    return _create_account_specific_backend


def _written_directly(write: Any) -> Any:
    """``_serialize_type_structure`` writing a plain ``AttributeValue`` directly."""

    @functools.wraps(write)
    def _serialize_type_structure(
        self: Any, serialized: Any, value: Any, shape: Any, key: str
    ) -> None:
        picker = getattr(self, "_value_picker", None)
        if (
            key
            and shape.name == "AttributeValue"
            and type(value) is dict
            and not getattr(picker, "response_transformers", None)
        ):
            try:
                serialized[shape.serialization.get("name", key)] = attribute_value(self, value)
                return
            except _NotPlain:
                pass
        write(self, serialized, value, shape, key)

    return _serialize_type_structure


def _map_written_directly(write: Any) -> Any:
    """``_serialize_type_map`` writing a map of plain ``AttributeValue``s directly."""

    @functools.wraps(write)
    def _serialize_type_map(self: Any, serialized: Any, value: Any, shape: Any, key: str) -> None:
        picker = getattr(self, "_value_picker", None)
        if (
            shape.value.name == "AttributeValue"
            and not shape.value.serialization.get("name")
            and type(value) is dict
            and "" not in value
            and not getattr(picker, "response_transformers", None)
        ):
            try:
                written = {
                    name: _nested(self, member)
                    for name, member in value.items()
                    if member is not None
                }
            except _NotPlain:
                pass
            else:
                answer = self.MAP_TYPE()
                self._default_serialize(serialized, answer, shape, key)
                answer.update(written)
                return
        write(self, serialized, value, shape, key)

    return _serialize_type_map


def install() -> None:
    """Apply the five changes; refused unless the moto they were written for is installed."""
    if installed():
        return
    check_moto_version()
    from moto.core import responses
    from moto.core.base_backend import BackendDict
    from moto.core.serialize import BaseJSONSerializer
    from moto.dynamodb.models import table as table_module
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    global _MEMBERS, _MEMBER_NAMES
    _MEMBERS = _attribute_value_members()
    _MEMBER_NAMES = frozenset(_MEMBERS)
    application, serializer = DomainDispatcherApplication, BaseJSONSerializer
    _patches.replace(
        application, "get_backend_for_host", _routed_once(application.get_backend_for_host)
    )
    _patches.replace(
        responses, "method_names_from_class", _listed_once(responses.method_names_from_class)
    )
    _patches.replace(
        BackendDict,
        "_create_account_specific_backend",
        _account_known_first(BackendDict._create_account_specific_backend),
    )
    _patches.replace(
        serializer,
        "_serialize_type_structure",
        _written_directly(serializer._serialize_type_structure),
    )
    _patches.replace(
        serializer, "_serialize_type_map", _map_written_directly(serializer._serialize_type_map)
    )
    _patches.replace(table_module.Table, "query", _page_query(table_module.Table.query))
    _patches.replace(table_module, "copy", _TableCopy())


def installed() -> bool:
    return bool(_patches)


def uninstall() -> None:
    """Put moto's own functions back (for tests that compare both in one process)."""
    _patches.restore()
