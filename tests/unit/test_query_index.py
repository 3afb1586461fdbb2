"""devstack.query_index on moto's DynamoDB models in this process: a Query reads its own
partition only, an update that fails part-way still reaches the index maps, and another
moto version is refused. (tests/integration/test_query_index_differential.py holds the
changed emulator to stock moto's answers over HTTP.)"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from moto.dynamodb.exceptions import IncorrectDataType
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType

from devstack import query_index
from devstack.stack import PROJECT_DIR


@pytest.fixture
def installed() -> Iterator[None]:
    query_index.install()
    try:
        yield
    finally:
        query_index.uninstall()


def _backend() -> tuple[DynamoDBBackend, Any]:
    """A table keyed (u, y) with a sparse GSI on g, in a backend of its own."""
    backend = DynamoDBBackend("us-east-1", "123456789012")
    table = backend.create_table(
        "t",
        schema=[
            {"AttributeName": "u", "KeyType": "HASH"},
            {"AttributeName": "y", "KeyType": "RANGE"},
        ],
        throughput=None,
        attr=[{"AttributeName": a, "AttributeType": "S"} for a in ("u", "y", "g")],
        global_indexes=[
            {
                "IndexName": "by-g",
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
        indexes=None,
        streams=None,
        billing_mode="PAY_PER_REQUEST",
        sse_specification=None,
        tags=[],
        deletion_protection_enabled=False,
        warm_throughput=None,
    )
    return backend, table


def _keys(backend: DynamoDBBackend, index: str | None, attribute: str, value: str) -> list:
    items, _, _ = backend.query(
        "t",
        {"S": value},
        None,
        [],
        None,
        None,
        True,
        None,
        index_name=index,
        hash_key_conditions=[(attribute, {"S": value})],
    )
    return [(i.attrs["u"].value, i.attrs["y"].value) for i in items]


class _Untouchable(dict):
    """A partition that fails the test when anything lists it."""

    def values(self) -> Any:
        raise AssertionError("the Query listed another partition")


def test_a_query_by_table_or_index_never_lists_another_partition(installed):
    # GIVEN items in two partitions, the index read once (its map built), and then a third
    # partition that fails whatever lists it
    backend, table = _backend()
    for u, y, g in [("a", "1", "x"), ("a", "2", "y"), ("b", "1", "x")]:
        backend.put_item("t", {"u": {"S": u}, "y": {"S": y}, "g": {"S": g}})
    assert _keys(backend, "by-g", "g", "x") == [("a", "1"), ("b", "1")]
    table.items[DynamoType({"S": "untouchable"})] = _Untouchable()

    # WHEN the table and the index are queried; THEN each answers from its partition alone
    assert _keys(backend, None, "u", "a") == [("a", "1"), ("a", "2")]
    assert _keys(backend, "by-g", "g", "y") == [("a", "2")]
    # (stock moto lists every partition)
    query_index.uninstall()
    with pytest.raises(AssertionError, match="listed another partition"):
        _keys(backend, None, "u", "a")


def _update_failing_part_way(backend: DynamoDBBackend) -> None:
    backend.put_item("t", {"u": {"S": "a"}, "y": {"S": "1"}, "tags": {"SS": ["t"]}})
    assert _keys(backend, "by-g", "g", "moved") == []
    with pytest.raises(IncorrectDataType):  # ADD of a number to a string set, after the SET
        backend.update_item(
            "t",
            {"u": {"S": "a"}, "y": {"S": "1"}},
            "SET g = :g ADD tags :one",
            {},
            {":g": {"S": "moved"}, ":one": {"N": "1"}},
        )


def test_an_update_that_fails_part_way_moves_its_item_into_the_index_as_moto_keeps_it():
    # GIVEN stock moto: a failed update keeps the SET it applied before failing
    backend, _ = _backend()
    _update_failing_part_way(backend)
    assert _keys(backend, "by-g", "g", "moved") == [("a", "1")]

    # WHEN the same runs with the query index; THEN the index shows the item just the same
    query_index.install()
    try:
        backend, _ = _backend()
        _update_failing_part_way(backend)
        assert _keys(backend, "by-g", "g", "moved") == [("a", "1")]
    finally:
        query_index.uninstall()


def test_another_moto_version_is_refused_with_both_versions_named():
    with pytest.raises(query_index.MotoVersionError) as refused:
        query_index.check_moto_version("5.3.0")

    message = str(refused.value)
    assert "written for moto 5.2.5, but moto 5.3.0 is installed" in message
    assert "moto==5.2.5" in message and "LOCAL_QUERY_INDEX=0" in message
    query_index.check_moto_version("5.2.5")  # the version it was written for


def test_the_development_requirements_pin_the_moto_the_change_was_written_for():
    requirements = (PROJECT_DIR / "requirements-dev.txt").read_text()

    assert re.findall(r"^moto\[server\]==(\S+)$", requirements, flags=re.MULTILINE) == [
        query_index.MOTO_VERSION
    ]
