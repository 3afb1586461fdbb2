"""Capture: ids come in from every entry point, are completed when missing, and capped.

The per-source reading (where Kinesis, SNS and SQS carry the ids) is exercised through
the adapters of ``chalicelib.streams.records``; HTTP headers go to ``capture`` directly.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from chalicelib.observability.correlation import CorrelationIds, capture
from chalicelib.streams.records import from_kinesis, from_sns, from_sqs
from tests.aws_samples import kinesis_record, sns_record, sqs_record


def from_kinesis_payload(payload: object) -> CorrelationIds:
    """The ids the Kinesis adapter finds in a record carrying ``payload`` as its data."""
    return from_kinesis(kinesis_record(json.dumps(payload).encode())).correlation


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
    ids = capture(headers)
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
    ids = capture({"Accept": "*/*"})
    # THEN a fresh uuid4 id, the first hop and no debug sampling are filled in
    assert uuid.UUID(ids["x-correlation-id"]).version == 4
    assert ids == {
        "x-correlation-id": ids["x-correlation-id"],
        "call-chain-length": "0",
        "debug-log-enabled": "false",
    }


def test_two_captures_without_ids_get_different_ids() -> None:
    # GIVEN / WHEN two requests without ids are captured
    first, second = capture({}), capture({})
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
    ids = from_kinesis(record).correlation
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
    ids = from_kinesis(record).correlation
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
    ids = from_sns(record).correlation
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
    ids = from_sqs(record).correlation
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
    ids = capture({"x-correlation-id": "abc"})
    # THEN the decision is recorded in the ids
    assert ids["debug-log-enabled"] == "true"


def test_sampling_decision_that_came_in_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN every new request would be sampled
    monkeypatch.setenv("DEBUG_LOG_SAMPLE_RATE", "1")
    # WHEN ids arrive with the decision already made upstream
    ids = from_sqs(
        sqs_record({"debug-log-enabled": {"stringValue": "false", "dataType": "String"}})
    ).correlation
    # THEN the upstream decision stands
    assert ids["debug-log-enabled"] == "false"


def test_garbled_call_chain_length_counts_as_first_hop() -> None:
    # GIVEN a chain length that is not a number
    # WHEN the ids are captured
    ids = capture({"x-correlation-id": "abc", "call-chain-length": "many"})
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


# -- caps: what may travel ----------------------------------------------------


def test_at_most_seven_ids_are_kept_leaving_three_of_ten_attributes_for_routing(
    written: Callable[[], list[dict[str, Any]]],
) -> None:
    # GIVEN a request with the essential three and six other x-correlation-* headers
    headers = {f"X-Correlation-Extra-{n}": f"v{n}" for n in (6, 2, 5, 1, 4, 3)}
    headers |= {"X-Correlation-Id": "abc", "Call-Chain-Length": "1", "Debug-Log-Enabled": "false"}
    # WHEN the ids are captured
    ids = capture(headers)
    # THEN seven are kept (10 SNS attributes - 3 for routing): the three, then the first
    # four others in name order
    assert ids == {
        "x-correlation-id": "abc",
        "x-correlation-extra-1": "v1",
        "x-correlation-extra-2": "v2",
        "x-correlation-extra-3": "v3",
        "x-correlation-extra-4": "v4",
        "call-chain-length": "1",
        "debug-log-enabled": "false",
    }
    # AND one warning line, under the kept id, names the two dropped
    [line] = written()
    assert (line["level"], line["message"], line["x-correlation-id"]) == (
        "WARNING",
        "correlation ids capped",
        "abc",
    )
    assert (line["dropped"], line["shortened"]) == (
        ["x-correlation-extra-5", "x-correlation-extra-6"],
        [],
    )


def test_a_10_kb_value_is_cut_to_128_characters(
    written: Callable[[], list[dict[str, Any]]],
) -> None:
    # GIVEN a 10 KB correlation id and a 129-character user id
    huge = "a" * 10_240
    # WHEN they are captured
    ids = capture({"x-correlation-id": huge, "x-correlation-user-id": "u" * 129})
    # THEN each keeps its first 128 characters
    assert ids["x-correlation-id"] == "a" * 128
    assert ids["x-correlation-user-id"] == "u" * 128
    # AND the warning names both as shortened
    [line] = written()
    assert (line["dropped"], line["shortened"]) == (
        [],
        ["x-correlation-id", "x-correlation-user-id"],
    )


def test_a_value_of_exactly_128_characters_is_kept_whole_without_a_warning(
    written: Callable[[], list[dict[str, Any]]],
) -> None:
    # GIVEN an id of exactly the limit
    # WHEN it is captured
    ids = capture({"x-correlation-id": "b" * 128})
    # THEN it is kept as is, silently
    assert ids["x-correlation-id"] == "b" * 128
    assert written() == []


def test_names_too_long_or_not_attribute_names_are_dropped(
    written: Callable[[], list[dict[str, Any]]],
) -> None:
    # GIVEN a 65-character name, a 64-character one, and one with a space
    long_name = "x-correlation-" + "n" * 51  # 65 characters
    fits = "x-correlation-" + "m" * 50  # 64 characters
    # WHEN they are captured
    ids = capture({long_name: "1", fits: "2", "x-correlation-bad name": "3"})
    # THEN only the 64-character name is kept
    assert fits in ids
    assert sorted(k for k in ids if k.startswith("x-correlation-") and k != "x-correlation-id") == [
        fits
    ]
    # AND the dropped ones are named (a long name cut to 64 characters in the line)
    [line] = written()
    assert line["dropped"] == [long_name[:64], "x-correlation-bad name"]


def test_the_caps_hold_for_every_event_source() -> None:
    # GIVEN an SNS record with eight extra ids and a 200-character id
    attributes = {f"x-correlation-e{n}": {"Type": "String", "Value": str(n)} for n in range(8)} | {
        "x-correlation-id": {"Type": "String", "Value": "z" * 200}
    }
    # WHEN the SNS adapter reads it
    ids = from_sns(sns_record(attributes)).correlation
    # THEN seven ids travel on, the id cut to 128 characters
    assert len(ids) == 7
    assert ids["x-correlation-id"] == "z" * 128
    assert [k for k in ids if k.startswith("x-correlation-e")] == [
        "x-correlation-e0",
        "x-correlation-e1",
        "x-correlation-e2",
        "x-correlation-e3",
    ]
