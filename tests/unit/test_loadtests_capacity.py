"""The benchmark's capacity units, by DynamoDB's published rules, from a client's calls.

The client is real; botocore's Stubber answers in place of a server, so the meter sees
the same request parameters and parsed responses it sees against the emulator.
"""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from loadtests.capacity import CapacityMeter, item_bytes


@pytest.fixture
def metered():
    client = boto3.client(
        "dynamodb", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    meter = CapacityMeter()
    meter.attach(client)
    with Stubber(client) as stubber:
        yield client, stubber, meter


def _item(text: str) -> dict:
    return {"user_id": {"S": "u1"}, "text": {"S": text}, "n": {"N": "12345"}}


def test_item_size_is_names_plus_values():
    # 7+2 + 4+3 + 1+(5//2+1)
    assert item_bytes(_item("abc")) == 9 + 7 + 4


def test_a_batch_write_costs_a_unit_per_started_kilobyte_of_each_item(metered):
    client, stubber, meter = metered
    small, big = _item("x"), _item("y" * 1500)  # 1 unit, 2 units
    request = {"t": [{"PutRequest": {"Item": small}}, {"PutRequest": {"Item": big}}]}
    stubber.add_response("batch_write_item", {}, {"RequestItems": request})
    client.batch_write_item(RequestItems=request)
    assert meter.snapshot() == (0.0, 3.0)


def test_a_query_costs_half_a_unit_per_started_4kb_returned_at_least_half(metered):
    client, stubber, meter = metered
    items = [_item("z" * 1000) for _ in range(5)]  # 5 x 1020 bytes: 2 x 4 KB started
    stubber.add_response("query", {"Items": items}, {"TableName": "t"})
    stubber.add_response("query", {"Items": []}, {"TableName": "t"})
    client.query(TableName="t")
    client.query(TableName="t")
    assert meter.snapshot() == (1.0 + 0.5, 0.0)


def test_a_batch_get_charges_keys_that_found_nothing_and_a_consistent_get_in_full(metered):
    client, stubber, meter = metered
    keys = [{"user_id": {"S": f"u{n}"}} for n in range(3)]
    request = {"t": {"Keys": keys}}
    stubber.add_response(
        "batch_get_item", {"Responses": {"t": [_item("a")]}}, {"RequestItems": request}
    )
    key = {"user_id": {"S": "u1"}}
    stubber.add_response(
        "get_item", {"Item": _item("b")}, {"TableName": "t", "Key": key, "ConsistentRead": True}
    )
    client.batch_get_item(RequestItems=request)
    client.get_item(TableName="t", Key=key, ConsistentRead=True)
    assert meter.snapshot() == (0.5 + 2 * 0.5 + 1.0, 0.0)


def test_a_consistent_batch_get_charges_its_tables_keys_in_full(metered):
    client, stubber, meter = metered
    keys = [{"user_id": {"S": f"u{n}"}} for n in range(3)]
    request = {"t": {"Keys": keys, "ConsistentRead": True}, "e": {"Keys": keys[:2]}}
    found = {"t": [_item("a")], "e": [_item("b"), _item("c")]}
    stubber.add_response("batch_get_item", {"Responses": found}, {"RequestItems": request})
    client.batch_get_item(RequestItems=request)
    # t: one found and two missing keys, a unit each; e: two found, half a unit each
    assert meter.snapshot() == (3 * 1.0 + 2 * 0.5, 0.0)
