"""The emulator's DynamoDB Query by partition and index (``devstack.query_index``) answers
exactly as stock moto does.

Two emulators side by side, each as ``start_emulator`` starts it: one changed (served by
``devstack.emulator_http``), one stock (moto's own server).
Both get the tables of ``infra/resources.yaml`` through CloudFormation (as
``devstack/infra.py`` deploys), plus a table with a local secondary index and numeric
keys; then one seeded random sequence of writes (PutItem, UpdateItem moving items into
and out of the sparse ``pulled``/``pulling``/``by-key`` indexes, DeleteItem,
BatchWriteItem, TransactWriteItems, TTL settings) and reads (Query of every key form, by
table, GSI and LSI, both directions, in pages, filtered, projected, counted; Scan,
GetItem; BatchGetItem of one or two tables, projected or not, refused or not; the
plain ones of both answered in one pass by ``devstack.batch_get_speedups`` and
``devstack.query_speedups``), with a stack update that adds an index half-way, every
partition of every table and index read whole at the end, and then the same again on a
table made after moto's reset API. Every answer must be equal.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from cfnlint.decode import decode_str

from devstack.emulator import Emulator, start_emulator
from devstack.infra import TEMPLATE_PATH, deploy_stack

from .dynamodb_sequence import Mirror, Sequence, TableShape

pytestmark = pytest.mark.emulator

ADDED_INDEX = {  # what the stack update adds to the feeds table
    "IndexName": "by-author",
    "KeySchema": [
        {"AttributeName": "author_id", "KeyType": "HASH"},
        {"AttributeName": "yubl_id", "KeyType": "RANGE"},
    ],
    "Projection": {"ProjectionType": "KEYS_ONLY"},
}
AUTHOR_ID = {"AttributeName": "author_id", "AttributeType": "S"}


@dataclass
class Pair:
    indexed: Emulator
    stock: Emulator
    logs: Path


@pytest.fixture(scope="module")
def emulators(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    logs = tmp_path_factory.mktemp("emulators")
    stock = start_emulator(log=logs / "stock.log", request_log=False, query_index=False)
    try:
        indexed = start_emulator(log=logs / "indexed.log", request_log=False)
        try:
            yield Pair(indexed, stock, logs)
        finally:
            indexed.stop()
    finally:
        stock.stop()


def _tables_template(path: Path, added_index: bool = False) -> Path:
    """The template's tables alone (its parameters and conditions kept); ``added_index``:
    the feeds table with one more global secondary index."""
    template, _ = decode_str(TEMPLATE_PATH.read_text())
    plain = json.loads(json.dumps(template))
    resources = plain["Resources"]
    tables = {k: v for k, v in resources.items() if v["Type"] == "AWS::DynamoDB::Table"}
    if added_index:
        feeds = tables["FeedsTable"]["Properties"]
        feeds["AttributeDefinitions"].append(AUTHOR_ID)
        feeds.setdefault("GlobalSecondaryIndexes", []).append(ADDED_INDEX)
    body = {k: plain[k] for k in ("AWSTemplateFormatVersion", "Parameters", "Conditions")}
    path.write_text(json.dumps({**body, "Resources": tables}))
    return path


def _scratch_table(stage: str) -> dict[str, Any]:
    """Numeric range keys, a local secondary index, a GSI without a range key."""
    attributes = [("p", "S"), ("n", "N"), ("s", "S"), ("g", "N")]
    return {
        "TableName": f"scratch-{stage}",
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": a, "AttributeType": t} for a, t in attributes],
        "KeySchema": [
            {"AttributeName": "p", "KeyType": "HASH"},
            {"AttributeName": "n", "KeyType": "RANGE"},
        ],
        "LocalSecondaryIndexes": [
            {
                "IndexName": "by-s",
                "KeySchema": [
                    {"AttributeName": "p", "KeyType": "HASH"},
                    {"AttributeName": "s", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": "by-g",
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["text"]},
            }
        ],
    }


def _deploy(pair: Pair, stage: str, template: Path) -> None:
    """The stage's stack from ``template`` on both emulators at once, as devstack/infra.py
    deploys."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        indexed, stock = pool.map(
            lambda emulator: deploy_stack(
                emulator.client("cloudformation"), stage, template=template
            ),
            (pair.indexed, pair.stock),
        )
    assert indexed == stock


def _shapes(mirror: Mirror, stage: str) -> dict[str, TableShape]:
    names = mirror.call("list_tables")["TableNames"]
    return {
        name: TableShape.described(mirror.call("describe_table", TableName=name)["Table"])
        for name in names
        if name.endswith(f"-{stage}")
    }


def _run(pair: Pair, tmp_path: Path, stage: str, seed: int, steps: int) -> Sequence:
    mirror = Mirror(pair.indexed.client("dynamodb"), pair.stock.client("dynamodb"))
    try:
        return _sequence(pair, tmp_path, stage, mirror, random.Random(seed), steps)
    finally:
        mirror.close()


def _sequence(
    pair: Pair, tmp_path: Path, stage: str, mirror: Mirror, rng: random.Random, steps: int
) -> Sequence:
    _deploy(pair, stage, _tables_template(tmp_path / "tables.json"))
    mirror.call("create_table", **_scratch_table(stage))
    sequence = Sequence(mirror, _shapes(mirror, stage), rng)
    for _ in range(steps // 2):
        sequence.step()

    # the stack update that adds an index, through CloudFormation on each emulator
    _deploy(pair, stage, _tables_template(tmp_path / "tables-v2.json", added_index=True))
    feeds = f"feeds-{stage}"
    mirror.call("describe_table", TableName=feeds)
    mirror.call(
        "query",
        TableName=feeds,
        IndexName="by-author",
        KeyConditionExpression="author_id = :a",
        ExpressionAttributeValues={":a": {"S": "au00"}},
    )
    # moto's CloudFormation leaves an existing table as it was: add the index as AWS would
    mirror.call(
        "update_table",
        TableName=feeds,
        AttributeDefinitions=[
            *mirror.call("describe_table", TableName=feeds)["Table"]["AttributeDefinitions"],
            AUTHOR_ID,
        ],
        GlobalSecondaryIndexUpdates=[{"Create": ADDED_INDEX}],
    )
    sequence.tables = _shapes(mirror, stage)
    assert "by-author" in sequence.tables[feeds].indexes
    for _ in range(steps - steps // 2):
        sequence.step()
    sequence.sweep()

    # moto's reset API empties both emulators; a table made again starts with no maps
    for emulator in (pair.indexed, pair.stock):
        requests.post(f"{emulator.endpoint_url}/moto-api/reset", timeout=30).raise_for_status()
    mirror.call("create_table", **_scratch_table(stage))
    sequence.tables = _shapes(mirror, stage)
    assert list(sequence.tables) == [f"scratch-{stage}"]
    for _ in range(steps // 10):
        sequence.step()
    sequence.sweep()
    return sequence


def _assert_each_emulator_is_what_it_says(pair: Pair) -> None:
    indexed = (pair.logs / "indexed.log").read_text()
    stock = (pair.logs / "stock.log").read_text()
    assert "DynamoDB Query: by partition and index (devstack.query_index, moto 5.2.5)" in indexed
    assert "DynamoDB Query: stock moto" in stock


def test_a_random_sequence_of_writes_and_reads_answers_as_stock_moto_does(emulators, tmp_path):
    _assert_each_emulator_is_what_it_says(emulators)

    sequence = _run(emulators, tmp_path, "diff", seed=22, steps=400)

    # THEN every answer was equal (Mirror.call), and the sequence made every kind of call
    assert set(sequence.made) == {
        "put",
        "update",
        "delete",
        "batch_write",
        "transact_write",
        "query",
        "scan",
        "get",
        "batch_get",
        "time_to_live",
    }
    assert sequence.mirror.calls > 400


@pytest.mark.full
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_longer_random_sequences_answer_as_stock_moto_does(emulators, tmp_path, seed):
    sequence = _run(emulators, tmp_path, f"diff-full-{seed}", seed=seed, steps=4_000)

    assert sequence.mirror.calls > 4_000
