"""A dead letter always fits a queue message: a 1 MB record keeps its reason, not its data."""

from __future__ import annotations

import json

from chalicelib.adapters.sqs_failure_sink import MAX_MESSAGE_BYTES, fitted


def _failed(text: str) -> dict:
    return {
        "handler": "distribute_yubl",
        "policy": "retry_then_park",
        "payload": {"type": "yubl-posted", "yubl": {"text": text}},
        "text": None,
        "error": {"type": "InvalidInput", "message": "yubl.text: must be 1-2000 characters"},
        "attempts": 1,
        "first_failure_at": "2026-01-02T03:04:05.000Z",
        "origin": {
            "sequenceNumber": "7",
            "partitionKey": "a",
            "data": "eyJ4Ijoi" + "A" * len(text),
        },
    }


def test_a_small_failed_record_is_sent_whole():
    failed = _failed("hi")
    assert json.loads(fitted(failed)) == failed  # type: ignore[arg-type]


def test_a_one_megabyte_record_keeps_reason_and_origin_without_its_data():
    failed = _failed("a" * 1_000_000)
    body = fitted(failed)  # type: ignore[arg-type]
    assert len(body.encode()) <= MAX_MESSAGE_BYTES
    sent = json.loads(body)
    size = len(json.dumps(failed, ensure_ascii=False).encode())
    assert sent == {
        **failed,
        "payload": None,
        "text": None,
        "origin": {"sequenceNumber": "7", "partitionKey": "a"},
        "omitted": f"record data ({size} bytes as JSON) is larger than a queue message",
    }


def test_a_record_with_a_lone_surrogate_is_sent_as_utf8_and_reads_back_the_same():
    # GIVEN a record whose JSON held "\ud800" (json.loads makes it a lone surrogate)
    failed = json.loads('{"handler": "fan_out_range", "payload": {"yubl": "\\ud800 é"}}')
    assert failed["payload"]["yubl"] == "\ud800 é"
    # WHEN it is fitted into a queue message
    body = fitted(failed)  # type: ignore[arg-type]
    # THEN the body is valid UTF-8, the surrogate escaped, the other text kept as is
    assert (
        body.encode() == '{"handler": "fan_out_range", "payload": {"yubl": "\\ud800 é"}}'.encode()
    )
    assert json.loads(body) == failed
