"""What one shard's poller needs from its mapping, handed down so the two never import
each other: the mapping builds a ShardContext, the shard's parts only read it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from local_runtime.checkpoints import CheckpointStore
from local_runtime.config import KinesisSettings
from local_runtime.destinations import Destination
from local_runtime.retrying import StuckReasons, persist
from local_runtime.target import FunctionTarget

__all__ = ["ShardContext"]


@dataclass(frozen=True)
class ShardContext:
    """One mapping (function + stream) as seen from one of its shards."""

    target: FunctionTarget
    settings: KinesisSettings
    kinesis: Any
    stream_name: str
    stream_arn: str
    region: str
    store: CheckpointStore
    lease_key: str
    destination: Destination | None
    stopping: threading.Event
    poll_interval: float
    retry_delays: tuple[float, float]
    clock: Callable[[], float]
    shard_ended: Callable[[str], None]

    def retry_delay(self, retries: int) -> float:
        """Backoff before the ``retries``-th retry of a failed batch (doubling, capped)."""
        low, high = self.retry_delays
        return float(min(high, low * 2 ** (retries - 1)))

    def persist(
        self, what: str, action: Callable[[], Any], source: str, stuck: StuckReasons
    ) -> Any:
        """Run a call the shard cannot skip until it succeeds (see ``retrying.persist``)."""
        return persist(what, action, source=source, stopping=self.stopping, stuck=stuck)
