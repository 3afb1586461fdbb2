"""A put the stream refuses becomes TemporarilyUnavailable, with how long to wait.

Botocore's Stubber answers as Kinesis would, so the adapter's own error handling runs on
the real ClientError a boto3 client raises; the integration tests cover a real endpoint
that is down and a stream that is gone.
"""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import ANY, Stubber

from chalicelib.adapters.kinesis_publisher import KinesisEventPublisher
from chalicelib.services.errors import TemporarilyUnavailable


@pytest.mark.parametrize(
    ("code", "retry_after"),
    [
        ("ProvisionedThroughputExceededException", 1),
        ("ThrottlingException", 1),
        ("KMSThrottlingException", 5),
        ("ResourceNotFoundException", 5),
        ("InternalFailure", 5),
    ],
)
def test_a_refused_put_is_temporarily_unavailable(code: str, retry_after: int) -> None:
    # GIVEN a Kinesis client whose next PutRecord fails with ``code``
    client = boto3.client(
        "kinesis", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    stubber = Stubber(client)
    stubber.add_client_error(
        "put_record",
        service_error_code=code,
        http_status_code=400,
        expected_params={"StreamName": "s", "Data": ANY, "PartitionKey": "alice"},
    )
    # WHEN an event is published
    with stubber, pytest.raises(TemporarilyUnavailable) as refused:
        KinesisEventPublisher(client, "s").publish({"type": "yubl-posted"}, "alice")
    # THEN the caller learns when to try again, and the message names the stream and code
    assert refused.value.retry_after == retry_after
    assert str(refused.value) == f"stream s refused the record ({code})"
