"""Forward: the ids in force leave with every outgoing record, one hop further on."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from chalicelib.observability.context import bind
from chalicelib.observability.correlation import (
    http_headers,
    kinesis_payload,
    sns_message_attributes,
    sqs_message_attributes,
)
from chalicelib.streams.records import from_kinesis, from_sns, from_sqs
from tests.aws_samples import kinesis_record, sns_record, sqs_record

IN_FORCE = {
    "x-correlation-id": "abc",
    "x-correlation-yubl-id": "y-1",
    "call-chain-length": "2",
    "debug-log-enabled": "true",
}


def test_kinesis_payload_carries_ids_one_hop_further() -> None:
    # GIVEN ids in force at hop 2, and a payload to put on the stream
    payload = {"yubl_id": "y-1", "author_id": "a-1"}
    # WHEN the payload is prepared for put_record
    with bind(IN_FORCE):
        sent = kinesis_payload(payload)
    # THEN a copy carries the ids under __context__ at hop 3; the original is untouched
    assert sent == {
        "yubl_id": "y-1",
        "author_id": "a-1",
        "__context__": {
            "x-correlation-id": "abc",
            "x-correlation-yubl-id": "y-1",
            "call-chain-length": "3",
            "debug-log-enabled": "true",
        },
    }
    assert payload == {"yubl_id": "y-1", "author_id": "a-1"}


def test_sns_message_attributes_carry_ids_one_hop_further() -> None:
    # GIVEN ids in force at hop 2
    # WHEN message attributes are made for an SNS publish
    with bind(IN_FORCE):
        attributes = sns_message_attributes()
    # THEN they are in boto3's shape, with the chain at hop 3
    assert attributes == {
        "x-correlation-id": {"DataType": "String", "StringValue": "abc"},
        "call-chain-length": {"DataType": "String", "StringValue": "3"},
        "debug-log-enabled": {"DataType": "String", "StringValue": "true"},
        "x-correlation-yubl-id": {"DataType": "String", "StringValue": "y-1"},
    }


def test_sqs_message_attributes_carry_ids_one_hop_further() -> None:
    # GIVEN ids in force at hop 2
    # WHEN message attributes are made for an SQS send
    with bind(IN_FORCE):
        attributes = sqs_message_attributes()
    # THEN they are in boto3's shape, with the chain at hop 3
    assert attributes == {
        "x-correlation-id": {"DataType": "String", "StringValue": "abc"},
        "call-chain-length": {"DataType": "String", "StringValue": "3"},
        "debug-log-enabled": {"DataType": "String", "StringValue": "true"},
        "x-correlation-yubl-id": {"DataType": "String", "StringValue": "y-1"},
    }


def test_http_headers_carry_ids_one_hop_further() -> None:
    # GIVEN ids in force at hop 2
    # WHEN headers are made for an outgoing call
    with bind(IN_FORCE):
        headers = http_headers()
    # THEN they carry the ids at hop 3
    assert headers == {
        "x-correlation-id": "abc",
        "call-chain-length": "3",
        "debug-log-enabled": "true",
        "x-correlation-yubl-id": "y-1",
    }


def test_sns_attributes_stop_at_seven_keeping_the_essential_three_first(
    written: Callable[[], list[dict[str, Any]]],
) -> None:
    # GIVEN twelve extra x-correlation-* ids besides the essential three
    extras = {f"x-correlation-extra-{n:02d}": f"v{n}" for n in range(12)}
    ids = {
        **extras,
        "debug-log-enabled": "false",
        "call-chain-length": "0",
        "x-correlation-id": "a",
    }
    # WHEN message attributes are made for an SNS publish
    with bind(ids):
        attributes = sns_message_attributes()
    # THEN seven are kept, three of SNS's ten left for routing: the essential three
    # first, then the first four extras
    assert list(attributes) == [
        "x-correlation-id",
        "call-chain-length",
        "debug-log-enabled",
        *[f"x-correlation-extra-{n:02d}" for n in range(4)],
    ]
    # AND the eight dropped ones are named in a warning line
    [warning] = written()
    assert warning["level"] == "WARNING"
    assert warning["dropped"] == [f"x-correlation-extra-{n:02d}" for n in range(4, 12)]


def test_attribute_limit_can_leave_room_for_the_callers_own() -> None:
    # GIVEN four ids in force
    # WHEN the caller needs seven attribute slots of its own
    with bind(IN_FORCE):
        attributes = sqs_message_attributes(limit=3)
    # THEN the essential three are what is kept
    assert list(attributes) == ["x-correlation-id", "call-chain-length", "debug-log-enabled"]


def test_forwarding_with_no_ids_in_force_starts_a_new_chain() -> None:
    # GIVEN no ids in force (work not started by any captured entry)
    # WHEN a payload is forwarded
    context = kinesis_payload({})["__context__"]
    # THEN it carries a fresh id at hop 1
    assert context["call-chain-length"] == "1"
    assert context["x-correlation-id"]


def test_ids_survive_a_round_trip_through_every_carrier() -> None:
    # GIVEN ids captured at the HTTP entry (hop 0)
    ids = {"x-correlation-id": "abc", "call-chain-length": "0", "debug-log-enabled": "true"}
    # WHEN they go through Kinesis, then SNS, then SQS
    with bind(ids):
        sent = json.dumps(kinesis_payload({"yubl_id": "y-1"})).encode()
    after_kinesis = from_kinesis(kinesis_record(sent)).correlation
    with bind(after_kinesis):
        sns_attributes = sns_message_attributes()
    delivered_sns = {
        name: {"Type": value["DataType"], "Value": value["StringValue"]}
        for name, value in sns_attributes.items()
    }
    after_sns = from_sns(sns_record(delivered_sns)).correlation
    with bind(after_sns):
        sqs_attributes = sqs_message_attributes()
    delivered_sqs = {
        name: {"stringValue": value["StringValue"], "dataType": value["DataType"]}
        for name, value in sqs_attributes.items()
    }
    after_sqs = from_sqs(sqs_record(delivered_sqs)).correlation
    # THEN the id and the sampling decision arrive unchanged, three hops on
    assert after_sqs == {
        "x-correlation-id": "abc",
        "call-chain-length": "3",
        "debug-log-enabled": "true",
    }


def test_a_parked_record_keeps_its_hop() -> None:
    # GIVEN a record's ids in force at hop 2
    # WHEN attributes are made to park it in the retry queue (the same hop, tried later)
    with bind(IN_FORCE):
        attributes = sqs_message_attributes(same_hop=True)
    # THEN its chain length does not grow
    assert attributes["call-chain-length"] == {"DataType": "String", "StringValue": "2"}
