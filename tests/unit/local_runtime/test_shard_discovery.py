"""A failed look for new shards is shown and retried; it never marks the mapping dead."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from local_runtime.config import parse_kinesis_settings
from local_runtime.context import FunctionIdentity
from local_runtime.invoker import Invoker
from local_runtime.kinesis import KinesisMapping
from local_runtime.target import FunctionTarget


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
    settings = parse_kinesis_settings(
        "consume",
        batch_size=100,
        maximum_batching_window_in_seconds=0,
        starting_position="TRIM_HORIZON",
        event_source=None,
    )
    identity = FunctionIdentity("app-local-consume", "us-east-1", "123456789012")
    stopping = threading.Event()
    mapping = KinesisMapping(
        target=FunctionTarget("consume", lambda e, c: None, identity, Invoker(), "role"),
        stream_name="s",
        settings=settings,
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
