"""The AWS SDK's own retries as a metric: ``SdkRetries`` per service.

botocore retries throttling, 5xx answers and dropped connections inside one call, so a
fault it fixes never reaches our code; without this count it would not show anywhere.
Each call's ``ResponseMetadata.RetryAttempts`` is added up once the call ends (answered
or given up with an error answer).
"""

from __future__ import annotations

from typing import Any

from chalicelib.observability.metrics import SDK_RETRIES, count

__all__ = ["count_sdk_retries"]


def _after_call(parsed: Any = None, model: Any = None, **_: Any) -> None:
    metadata = parsed.get("ResponseMetadata", {}) if isinstance(parsed, dict) else {}
    retries = metadata.get("RetryAttempts", 0)
    if isinstance(retries, int) and retries > 0:
        service = getattr(getattr(model, "service_model", None), "service_name", "unknown")
        count(SDK_RETRIES, retries, aws_service=str(service))


def count_sdk_retries(client: Any) -> Any:
    """Register the count on one botocore client (boto3's or PynamoDB's); returns it."""
    client.meta.events.register("after-call.*.*", _after_call, unique_id="sdk-retries-metric")
    return client
