"""EventPublisher on a Kinesis stream."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ..observability.correlation import kinesis_payload
from ..services.errors import TemporarilyUnavailable

__all__ = ["KinesisEventPublisher"]

THROTTLED_RETRY_AFTER = 1
"""Seconds a caller waits after the stream throttled a put (its shard limit is per second)."""

UNAVAILABLE_RETRY_AFTER = 5
"""Seconds a caller waits after any other failure (endpoint down, stream missing)."""

_THROTTLING = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "LimitExceededException"}
)


class KinesisEventPublisher:
    def __init__(self, kinesis_client: Any, stream_name: str) -> None:
        self._kinesis = kinesis_client
        self._stream = stream_name

    def publish(self, event: Mapping[str, Any], partition_key: str) -> None:
        """Put one record; the correlation ids in force ride inside it as ``__context__``.

        Any failure of the put (after the SDK's own retries) is ``TemporarilyUnavailable``:
        nothing the caller sent can fix it, and nothing was written.
        """
        data = json.dumps(
            kinesis_payload(event), separators=(",", ":"), ensure_ascii=False
        ).encode()
        try:
            self._kinesis.put_record(StreamName=self._stream, Data=data, PartitionKey=partition_key)
        except ClientError as err:
            code = err.response.get("Error", {}).get("Code", "")
            throttled = code in _THROTTLING
            raise TemporarilyUnavailable(
                f"stream {self._stream} refused the record ({code or 'error'})",
                THROTTLED_RETRY_AFTER if throttled else UNAVAILABLE_RETRY_AFTER,
            ) from err
        except BotoCoreError as err:
            raise TemporarilyUnavailable(
                f"stream {self._stream} unreachable ({type(err).__name__})",
                UNAVAILABLE_RETRY_AFTER,
            ) from err
