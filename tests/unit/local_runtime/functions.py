"""A Kinesis mapping's settings and a do-nothing function, for tests without an emulator."""

from __future__ import annotations

from local_runtime.config import KinesisSettings, parse_kinesis_settings
from local_runtime.context import FunctionIdentity
from local_runtime.invoker import Invoker
from local_runtime.target import FunctionTarget

__all__ = ["consume_target", "trim_horizon_settings"]


def trim_horizon_settings() -> KinesisSettings:
    return parse_kinesis_settings(
        "consume",
        batch_size=100,
        maximum_batching_window_in_seconds=0,
        starting_position="TRIM_HORIZON",
        event_source=None,
    )


def consume_target() -> FunctionTarget:
    identity = FunctionIdentity("app-local-consume", "us-east-1", "123456789012")
    return FunctionTarget("consume", lambda event, context: None, identity, Invoker(), "role")
