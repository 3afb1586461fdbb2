"""SnsMessagePublisher's failure classes, on botocore's own Stubber (no network).

The emulator cannot make SNS fail an entry with a server fault, so the transient path is
pinned here; tests/integration/test_publishers.py pins sender faults against the emulator.
"""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import ANY, Stubber

from chalicelib.adapters.sns_publisher import PublishFailed, PublishRefused, SnsMessagePublisher
from chalicelib.domain.errors import PermanentFailure

TOPIC = "arn:aws:sns:us-east-1:123456789012:feed-fanout-test"


def _publisher(responses: list[dict | tuple[str, int]]):
    client = boto3.client(
        "sns", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    stubber = Stubber(client)
    for response in responses:
        if isinstance(response, tuple):
            code, status = response
            stubber.add_client_error(
                "publish_batch", service_error_code=code, http_status_code=status
            )
        else:
            expected = {"TopicArn": TOPIC, "PublishBatchRequestEntries": ANY}
            stubber.add_response("publish_batch", response, expected)
    stubber.activate()
    pauses: list[float] = []
    return SnsMessagePublisher(client, TOPIC, max_attempts=3, sleep=pauses.append), stubber, pauses


def _failed(entry_id: str, code: str, sender_fault: bool) -> dict:
    return {"Id": entry_id, "Code": code, "Message": f"{code}!", "SenderFault": sender_fault}


def test_a_server_fault_is_retried_for_the_failed_entries_only():
    publisher, stubber, pauses = _publisher(
        [
            {
                "Successful": [{"Id": "0", "MessageId": "m0"}],
                "Failed": [_failed("1", "InternalError", False)],
            },
            {"Successful": [{"Id": "1", "MessageId": "m1"}], "Failed": []},
        ]
    )
    publisher.publish_batch(["a", "b"])
    stubber.assert_no_pending_responses()
    assert len(pauses) == 1


def test_a_sender_fault_raises_a_permanent_failure_at_once():
    publisher, stubber, pauses = _publisher(
        [
            {
                "Successful": [{"Id": "0", "MessageId": "m0"}],
                "Failed": [_failed("1", "InvalidParameter", True)],
            },
        ]
    )
    with pytest.raises(PublishRefused) as caught:
        publisher.publish_batch(["a", "b"])
    assert isinstance(caught.value, PermanentFailure)
    assert str(caught.value) == (
        f"1 of 2 messages not published to {TOPIC} (sender fault): "
        "InvalidParameter: InvalidParameter!"
    )
    assert pauses == []
    stubber.assert_no_pending_responses()


def test_a_throttled_entry_is_transient_even_when_flagged_as_the_senders():
    publisher, stubber, pauses = _publisher(
        [
            {"Successful": [], "Failed": [_failed("0", "Throttled", True)]},
            {"Successful": [{"Id": "0", "MessageId": "m0"}], "Failed": []},
        ]
    )
    publisher.publish_batch(["a"])
    stubber.assert_no_pending_responses()
    assert len(pauses) == 1


def test_server_faults_that_outlast_the_attempts_raise_a_transient_failure():
    failing = {"Successful": [], "Failed": [_failed("0", "InternalError", False)]}
    publisher, _, pauses = _publisher([failing, failing, failing])
    with pytest.raises(PublishFailed) as caught:
        publisher.publish_batch(["a"])
    assert not isinstance(caught.value, PermanentFailure)
    assert len(pauses) == 2


@pytest.mark.parametrize(
    ("code", "status", "permanent"),
    [
        ("NotFound", 404, True),
        ("AuthorizationError", 403, True),
        ("InvalidParameter", 400, True),
        ("Throttling", 400, False),
        ("InternalError", 500, False),
    ],
)
def test_a_refused_call_is_permanent_unless_throttled_or_a_server_error(code, status, permanent):
    publisher, _, _ = _publisher([(code, status)])
    with pytest.raises(Exception) as caught:
        publisher.publish_batch(["a"])
    assert isinstance(caught.value, PermanentFailure) is permanent
