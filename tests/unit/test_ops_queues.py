"""How the operator command summarises what waits in the queues."""

from __future__ import annotations

from ops.queues import ParkedMessage
from tests.aws_samples import KINESIS_FAILURE_SAMPLE as ON_FAILURE_RECORD


def _message(body: dict) -> ParkedMessage:
    return ParkedMessage(
        queue="dead",
        message_id="m-1",
        receipt_handle="r",
        body=body,
        attributes={"x-correlation-id": {"DataType": "String", "StringValue": "c-1"}},
        receive_count=1,
    )


def test_a_parked_record_is_summarised_from_its_body():
    body = {
        "handler": "add_to_feed",
        "policy": "retry_then_park",
        "payload": {"type": "feed-fanout"},
        "text": None,
        "error": {"type": "RuntimeError", "message": "boom"},
        "attempts": 3,
        "first_failure_at": "2026-11-23T12:00:00.000Z",
        "origin": {},
    }
    assert _message(body).summary() == {
        "queue": "dead",
        "message_id": "m-1",
        "handler": "add_to_feed",
        "error": {"type": "RuntimeError", "message": "boom"},
        "correlation_id": "c-1",
        "attempts": 3,
        "receive_count": 1,
        "first_failure_at": "2026-11-23T12:00:00.000Z",
        "record": {"type": "feed-fanout"},
        "origin": {},
    }


def test_a_lambda_on_failure_record_is_summarised_from_its_batch_info():
    summary = _message(ON_FAILURE_RECORD).summary()
    assert summary["handler"] == "myfunction"
    assert summary["error"] == {"type": "RetryAttemptsExhausted", "message": None}
    assert summary["attempts"] == 1
    assert summary["first_failure_at"] == "2019-11-14T00:38:06.021Z"
    assert summary["record"] == ON_FAILURE_RECORD["KinesisBatchInfo"]
