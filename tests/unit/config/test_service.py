"""Use cases of the config service: compare-and-set, history, rollback, scopes."""

from __future__ import annotations

import copy
import hashlib

import pytest

from chalicelib.config.rules import (
    ApiKey,
    ConfigNotFound,
    Forbidden,
    Unauthorized,
    VersionConflict,
)
from chalicelib.domain.errors import InvalidInput

from .conftest import ADMIN


def test_compare_and_set_refuses_a_stale_expected_version_and_changes_nothing(service):
    service.put(ADMIN, "fanout.group_size", 100, False, None)
    service.put(ADMIN, "fanout.group_size", 200, False, 1)
    with pytest.raises(VersionConflict) as conflict:
        service.put(ADMIN, "fanout.group_size", 300, False, 1)
    assert conflict.value.current == 2
    assert service.get(ADMIN, "fanout.group_size", None).value == "200"


def test_expected_version_zero_creates_only(service):
    assert service.put(ADMIN, "a.b", 1, False, 0).version == 1
    with pytest.raises(VersionConflict):
        service.put(ADMIN, "a.b", 2, False, 0)


def test_delete_keeps_history_and_create_only_put_recreates(service):
    service.put(ADMIN, "a.b", "one", False, None)
    assert service.delete(ADMIN, "a.b").version == 2
    with pytest.raises(ConfigNotFound):
        service.get(ADMIN, "a.b", None)
    assert service.put(ADMIN, "a.b", "two", False, 0).version == 3
    assert [(e.version, e.value, e.deleted) for e in service.history(ADMIN, "a.b")] == [
        (1, '"one"', False),
        (2, None, True),
        (3, '"two"', False),
    ]


def test_rollback_writes_the_old_value_forward_as_a_new_version(service):
    service.put(ADMIN, "k", {"n": 1}, False, None)
    service.put(ADMIN, "k", {"n": 2}, False, None)
    entry = service.rollback(ADMIN, "k", 1)
    assert (entry.version, entry.value) == (3, '{"n":1}')
    assert service.get(ADMIN, "k", "2").value == '{"n":2}'


def test_a_secret_is_stored_encrypted_and_rolls_back_encrypted(service, store, cipher):
    service.put(ADMIN, "db.password", "hunter2", True, None)
    service.put(ADMIN, "db.password", "swordfish", True, None)
    service.rollback(ADMIN, "db.password", 1)
    stored = store.versions["db.password"]
    assert all("hunter2" not in e.value and "swordfish" not in e.value for e in stored)
    assert cipher.decrypt("db.password", stored[2].value) == b'"hunter2"'


@pytest.mark.parametrize(
    ("key", "field"),
    [("", "key"), ("a/b", "key"), ("x" * 257, "key"), ("a..b", "key"), (".a", "key")],
)
def test_bad_keys_are_refused_naming_the_field(service, key, field):
    with pytest.raises(InvalidInput) as bad:
        service.put(ADMIN, key, 1, False, None)
    assert bad.value.field == field


@pytest.mark.parametrize(
    ("value", "secret", "expected", "field"),
    [
        ("x" * 65_536, False, None, "value"),
        (1, "yes", None, "secret"),
        (1, False, -1, "expected_version"),
        (1, False, "1", "expected_version"),
        (1, False, True, "expected_version"),
    ],
)
def test_bad_fields_are_refused_naming_the_field(service, store, value, secret, expected, field):
    with pytest.raises(InvalidInput) as bad:
        service.put(ADMIN, "k", value, secret, expected)
    assert bad.value.field == field
    assert store.versions == {}


def test_a_value_of_exactly_64_kb_of_json_is_accepted(service):
    assert service.put(ADMIN, "k", "x" * (65_536 - 2), False, None).version == 1


READER = ApiKey("reader", frozenset({"read"}), "fanout.")
WRITER = ApiKey("writer", frozenset({"write"}), "fanout.")


@pytest.mark.parametrize(
    ("caller", "call"),
    [
        (READER, lambda s, c: s.put(c, "fanout.x", 1, False, None)),
        (READER, lambda s, c: s.delete(c, "fanout.x")),
        (READER, lambda s, c: s.rollback(c, "fanout.x", 1)),
        (WRITER, lambda s, c: s.get(c, "fanout.x", None)),
        (WRITER, lambda s, c: s.history(c, "fanout.x")),
        (WRITER, lambda s, c: s.list_keys(c, "", 10, None)),
        (READER, lambda s, c: s.get(c, "db.password", None)),
        (READER, lambda s, c: s.history(c, "db.password")),
        (WRITER, lambda s, c: s.put(c, "db.password", 1, False, None)),
    ],
)
def test_outside_scope_or_prefix_is_forbidden_and_changes_nothing(service, store, caller, call):
    """Fails if a refused write lands first: the store's versions are compared whole."""
    service.put(ADMIN, "fanout.x", 1, False, None)
    service.put(ADMIN, "db.password", "p", True, None)
    before = copy.deepcopy(store.versions)
    with pytest.raises(Forbidden):
        call(service, caller)
    assert store.versions == before


def test_listing_returns_only_keys_under_the_callers_prefix_in_pages(service):
    for key in ["fanout.a", "fanout.b", "fanout.c", "db.password", "fanoutx"]:
        service.put(ADMIN, key, 1, False, None)
    service.delete(ADMIN, "fanout.b")
    first, cursor = service.list_keys(READER, "", 1, None)
    second, end = service.list_keys(READER, "", 1, cursor)
    assert [e.key for e in first] == ["fanout.a"]
    assert ([e.key for e in second], end) == (["fanout.c"], None)
    assert service.list_keys(READER, "db", 10, None) == ([], None)


def test_api_keys_are_stored_as_hashes_and_checked(api_keys):
    created, value = api_keys.create("read,write", "fanout.")
    [(stored, key_hash)] = api_keys._store.items.values()
    assert stored == created
    assert key_hash == hashlib.sha256(value.encode()).hexdigest()
    assert value not in repr(api_keys._store.items)
    assert api_keys.authenticate(value) == created
    assert created.scopes == frozenset({"read", "write"})


@pytest.mark.parametrize("presented", [None, "", "nope", "abc.def", "a b.c"])
def test_missing_or_unknown_api_keys_are_unauthorized(api_keys, presented):
    api_keys.create("read", "")
    with pytest.raises(Unauthorized):
        api_keys.authenticate(presented)


def test_a_wrong_secret_for_a_known_id_and_a_revoked_key_are_unauthorized(api_keys):
    created, value = api_keys.create("read", "")
    with pytest.raises(Unauthorized):
        api_keys.authenticate(f"{created.key_id}.{'x' * 43}")
    api_keys.revoke(created.key_id)
    with pytest.raises(Unauthorized, match="revoked"):
        api_keys.authenticate(value)


@pytest.mark.parametrize("scopes", ["", "admin", "read,delete", []])
def test_unknown_scopes_are_refused(api_keys, scopes):
    with pytest.raises(InvalidInput) as bad:
        api_keys.create(scopes, "")
    assert bad.value.field == "scopes"
