"""The app's settings read through the client: a change applies without a redeploy."""

from __future__ import annotations

import json

from chalicelib.adapters.memory import InMemoryFailureSink
from chalicelib.config.client import ConfigClient, ConfigProvider, InProcessSource
from chalicelib.streams.policies import retry_then_park
from chalicelib.streams.processor import StreamProcessor
from tests.aws_samples import kinesis_event, kinesis_record

from .conftest import ADMIN


def test_in_process_attempts_follow_the_config_value(service, cipher):
    client = ConfigClient(ConfigProvider(InProcessSource(service), cipher), ttl=0.0)
    runs: list[int] = []

    def always_fails(payload):
        runs.append(payload["n"])
        raise RuntimeError("down")

    sink = InMemoryFailureSink()
    processor = StreamProcessor(
        "live_attempts_probe",
        always_fails,
        policy=retry_then_park(attempts=3, base_delay=0),
        sink=lambda: sink,
        sleep=lambda seconds: None,
        attempts=lambda: client.get("streams.record_attempts", 3),
    )
    event = kinesis_event(kinesis_record(json.dumps({"n": 1}).encode()))
    processor.process(event)
    service.put(ADMIN, "streams.record_attempts", 5, False, None)
    client.get("streams.record_attempts", force_refresh=True)
    processor.process(event)
    assert runs == [1] * 3 + [1] * 5
