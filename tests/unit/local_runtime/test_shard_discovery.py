"""A failed look for new shards is shown and retried; it never marks the mapping dead."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from local_runtime.kinesis import KinesisMapping
from tests.unit.local_runtime.functions import consume_target, trim_horizon_settings


class FlakyListing:
    """A stream with no shards whose ListShards fails while ``down`` is set."""

    def __init__(self) -> None:
        self.down = False

    def describe_stream_summary(self, StreamName: str) -> dict[str, Any]:
        return {"StreamDescriptionSummary": {"StreamARN": f"arn:aws:kinesis:::stream/{StreamName}"}}

    def list_shards(self, **kwargs: Any) -> dict[str, Any]:
        if self.down:
            raise ConnectionError("endpoint down")
        return {"Shards": []}


class EmptyStore:
    def load(self, mapping: str) -> dict:
        return {}


def eventually(condition: Callable[[], Any], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, "condition not met"
        time.sleep(0.02)
    return value


def test_a_failed_shard_discovery_is_stuck_then_recovers():
    # GIVEN a running mapping whose ListShards starts failing after the start
    kinesis = FlakyListing()
    stopping = threading.Event()
    mapping = KinesisMapping(
        target=consume_target(),
        stream_name="s",
        settings=trim_horizon_settings(),
        kinesis=kinesis,
        store=EmptyStore(),  # type: ignore[arg-type]
        destination=None,
        region="us-east-1",
        lease_key="k",
        stopping=stopping,
        poll_interval=0.01,
        retry_delays=(0.01, 0.01),
    )
    mapping.start()
    try:
        kinesis.down = True
        # WHEN the next look fails
        lines = eventually(mapping.status_lines)
        # THEN the mapping says why, is not idle, and is not dead
        assert lines == [
            "consume<-kinesis s stuck: shard discovery failed (ConnectionError: endpoint down)"
        ]
        assert not mapping.idle_since(0.0)
        assert mapping.failure() is None
        # AND once listing works again the reason is gone
        kinesis.down = False
        assert eventually(lambda: mapping.status_lines() == [])
        assert mapping.idle_since(0.0)
    finally:
        stopping.set()
        mapping.join(2.0)
