"""Capture: ids come in from every entry point, and are completed when missing."""

from __future__ import annotations

import json
import uuid

import pytest

from chalicelib.observability.correlation import (
    from_http_headers,
    from_kinesis_payload,
    from_kinesis_record,
    from_sns_record,
    from_sqs_record,
)
from tests.aws_samples import kinesis_record, sns_record, sqs_record


def test_http_headers_are_captured_case_insensitively() -> None:
    # GIVEN request headers spelled in mixed case, among unrelated headers
    headers = {
        "X-Correlation-Id": "abc",
        "X-CORRELATION-USER-ID": "user-1",
        "Call-Chain-Length": "3",
        "Debug-Log-Enabled": "true",
        "Content-Type": "application/json",
    }
    # WHEN the ids are captured
    ids = from_http_headers(headers)
    # THEN exactly the correlation entries come out, with lower-case keys
    assert ids == {
        "x-correlation-id": "abc",
        "x-correlation-user-id": "user-1",
        "call-chain-length": "3",
        "debug-log-enabled": "true",
    }


def test_a_new_id_is_made_when_none_comes_in() -> None:
    # GIVEN a request with no correlation headers (and sampling at 0)
    # WHEN the ids are captured
    ids = from_http_headers({"Accept": "*/*"})
    # THEN a fresh uuid4 id, the first hop and no debug sampling are filled in
    assert uuid.UUID(ids["x-correlation-id"]).version == 4
    assert ids == {
        "x-correlation-id": ids["x-correlation-id"],
        "call-chain-length": "0",
        "debug-log-enabled": "false",
    }


def test_two_captures_without_ids_get_different_ids() -> None:
    # GIVEN / WHEN two requests without ids are captured
    first, second = from_http_headers({}), from_http_headers({})
    # THEN they are not mistaken for one another
    assert first["x-correlation-id"] != second["x-correlation-id"]


def test_kinesis_payload_context_is_captured() -> None:
    # GIVEN a decoded Kinesis payload carrying __context__
    payload = {
        "yubl_id": "y-1",
        "__context__": {
            "x-correlation-id": "abc",
            "x-correlation-author-id": "a-1",
            "call-chain-length": "1",
            "debug-log-enabled": "false",
        },
    }
    # WHEN the ids are captured
    ids = from_kinesis_payload(payload)
    # THEN they are the ones that rode in the payload
    assert ids == {
        "x-correlation-id": "abc",
        "x-correlation-author-id": "a-1",
        "call-chain-length": "1",
        "debug-log-enabled": "false",
    }


def test_kinesis_payload_without_context_gets_fresh_ids() -> None:
    # GIVEN a payload written by a producer that does not forward ids
    # WHEN the ids are captured
    ids = from_kinesis_payload({"yubl_id": "y-1"})
    # THEN the record still gets an id of its own
    assert sorted(ids) == ["call-chain-length", "debug-log-enabled", "x-correlation-id"]
    assert ids["call-chain-length"] == "0"


def test_raw_kinesis_record_is_decoded_and_captured() -> None:
    # GIVEN a Lambda Kinesis event record whose data is base64 JSON with __context__
    data = json.dumps({"__context__": {"x-correlation-id": "abc", "call-chain-length": "1"}})
    record = kinesis_record(data.encode())
    # WHEN the ids are captured from the raw record
    ids = from_kinesis_record(record)
    # THEN the payload's ids come out
    assert ids == {
        "x-correlation-id": "abc",
        "call-chain-length": "1",
        "debug-log-enabled": "false",
    }


def test_poison_kinesis_record_gets_fresh_ids() -> None:
    # GIVEN a Kinesis record whose data is plain text, not JSON
    record = kinesis_record(data=None)
    # WHEN the ids are captured
    ids = from_kinesis_record(record)
    # THEN the poison record can still be logged under an id of its own
    assert uuid.UUID(ids["x-correlation-id"]).version == 4


def test_sns_message_attributes_are_captured() -> None:
    # GIVEN an SNS event record with correlation attributes, a binary and a foreign one
    record = sns_record(
        {
            "x-correlation-id": {"Type": "String", "Value": "abc"},
            "x-correlation-yubl-id": {"Type": "String", "Value": "y-1"},
            "call-chain-length": {"Type": "String", "Value": "2"},
            "debug-log-enabled": {"Type": "String", "Value": "true"},
            "x-correlation-blob": {"Type": "Binary", "Value": "AAEC"},
            "Test": {"Type": "String", "Value": "TestString"},
        }
    )
    # WHEN the ids are captured
    ids = from_sns_record(record)
    # THEN only the string correlation attributes come out
    assert ids == {
        "x-correlation-id": "abc",
        "x-correlation-yubl-id": "y-1",
        "call-chain-length": "2",
        "debug-log-enabled": "true",
    }


def test_sqs_message_attributes_are_captured() -> None:
    # GIVEN an SQS event record with correlation message attributes
    record = sqs_record(
        {
            "x-correlation-id": {
                "stringValue": "abc",
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": "String",
            },
            "call-chain-length": {"stringValue": "4", "dataType": "String"},
            "debug-log-enabled": {"stringValue": "false", "dataType": "String"},
        }
    )
    # WHEN the ids are captured
    ids = from_sqs_record(record)
    # THEN they are the attributes' string values
    assert ids == {
        "x-correlation-id": "abc",
        "call-chain-length": "4",
        "debug-log-enabled": "false",
    }


def test_sampling_decision_is_made_where_ids_are_born(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN every request sampled for debug logging
    monkeypatch.setenv("DEBUG_LOG_SAMPLE_RATE", "1")
    # WHEN a request without a decision comes in
    ids = from_http_headers({"x-correlation-id": "abc"})
    # THEN the decision is recorded in the ids
    assert ids["debug-log-enabled"] == "true"


def test_sampling_decision_that_came_in_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN every new request would be sampled
    monkeypatch.setenv("DEBUG_LOG_SAMPLE_RATE", "1")
    # WHEN ids arrive with the decision already made upstream
    ids = from_sqs_record(
        sqs_record({"debug-log-enabled": {"stringValue": "false", "dataType": "String"}})
    )
    # THEN the upstream decision stands
    assert ids["debug-log-enabled"] == "false"


def test_garbled_call_chain_length_counts_as_first_hop() -> None:
    # GIVEN a chain length that is not a number
    # WHEN the ids are captured
    ids = from_http_headers({"x-correlation-id": "abc", "call-chain-length": "many"})
    # THEN it is read as the first hop rather than blocking the request
    assert ids["call-chain-length"] == "0"


def test_values_that_could_not_be_sent_on_are_dropped() -> None:
    # GIVEN a payload context with an empty id and one holding a line break
    payload = {"__context__": {"x-correlation-id": "", "x-correlation-user-id": "u\r\nX: 1"}}
    # WHEN the ids are captured
    ids = from_kinesis_payload(payload)
    # THEN neither is kept: a fresh id stands in, and the broken value is gone
    assert sorted(ids) == ["call-chain-length", "debug-log-enabled", "x-correlation-id"]
    assert ids["x-correlation-id"] != ""
