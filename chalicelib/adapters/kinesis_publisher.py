"""EventPublisher on a Kinesis stream."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..observability.correlation import kinesis_payload

__all__ = ["KinesisEventPublisher"]


class KinesisEventPublisher:
    def __init__(self, kinesis_client: Any, stream_name: str) -> None:
        self._kinesis = kinesis_client
        self._stream = stream_name

    def publish(self, event: Mapping[str, Any], partition_key: str) -> None:
        """Put one record; the correlation ids in force ride inside it as ``__context__``."""
        data = json.dumps(
            kinesis_payload(event), separators=(",", ":"), ensure_ascii=False
        ).encode()
        self._kinesis.put_record(StreamName=self._stream, Data=data, PartitionKey=partition_key)
