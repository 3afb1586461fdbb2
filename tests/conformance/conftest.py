"""Fixtures of the conformance suite: emulator clients, fresh streams and queues.

Every test gets resources of its own (unique names on a shared emulator) and a clean
os.environ afterwards, since loading a project sets its stage variables there.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from tests.conformance.projects import drain_queue, restore_environ, unique

__all__ = ["restore_environ"]


@pytest.fixture
def kinesis(emulator_endpoint: str) -> Any:
    return boto3.client("kinesis")


@pytest.fixture
def sqs(emulator_endpoint: str) -> Any:
    return boto3.client("sqs")


@pytest.fixture
def sns(emulator_endpoint: str) -> Any:
    return boto3.client("sns")


@pytest.fixture
def new_stream(kinesis: Any) -> Callable[..., str]:
    def create(shards: int = 1) -> str:
        name = unique("conf-stream")
        kinesis.create_stream(StreamName=name, ShardCount=shards)
        kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.2})
        return name

    return create


@pytest.fixture
def new_queue(sqs: Any) -> Callable[..., tuple[str, str, str]]:
    """Create a queue; returns (name, url, arn)."""

    def create(
        attributes: dict[str, str] | None = None, name: str | None = None
    ) -> tuple[str, str, str]:
        name = name or unique("conf-queue")
        url = sqs.create_queue(QueueName=name, Attributes=attributes or {})["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        return name, url, arn

    return create


@pytest.fixture
def drain(sqs: Any) -> Callable[[str], list[Any]]:
    """Every message now in a queue, bodies parsed as JSON, deleted as read."""
    return functools.partial(drain_queue, sqs)
