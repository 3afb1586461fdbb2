"""Small Chalice projects written to temporary directories, and shortcuts to inspect runs.

Each test writes an app of its own (app.py + .chalice/config.json), so the runtime is
exercised exactly as it would run a project it has never seen.
"""

from __future__ import annotations

import base64
import json
import os
import textwrap
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from local_runtime import Invocation

__all__ = [
    "KINESIS_APP",
    "data_of",
    "drain_queue",
    "iso_utc",
    "kinesis_batches",
    "kinesis_project",
    "put_many",
    "put_records",
    "restore_environ",
    "stream_arn",
    "stream_arrivals",
    "unique",
    "write_project",
]


@pytest.fixture(autouse=True)
def restore_environ(emulator_endpoint: str) -> Iterator[None]:
    """Loading a project sets its stage variables in os.environ; undo that after each test."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


def unique(prefix: str) -> str:
    """A resource name no other test uses (tests share one emulator)."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def write_project(
    root: Path,
    app_source: str,
    *,
    app_name: str = "conformance",
    stage: str = "local",
    environment: dict[str, str] | None = None,
    functions: dict[str, Any] | None = None,
) -> Path:
    """Write a Chalice project: ``app_source`` as app.py, a config with one stage."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "app.py").write_text(textwrap.dedent(app_source))
    (root / ".chalice").mkdir(exist_ok=True)
    config = {
        "version": "2.0",
        "app_name": app_name,
        "stages": {
            stage: {
                "environment_variables": environment or {},
                "lambda_functions": functions or {},
            }
        },
    }
    (root / ".chalice" / "config.json").write_text(json.dumps(config, indent=2))
    return root


def data_of(invocation: Invocation) -> list[str]:
    """The decoded data of each Kinesis record an invocation got, in order."""
    return [base64.b64decode(r["kinesis"]["data"]).decode() for r in invocation.event["Records"]]


def kinesis_batches(invocations: list[Invocation]) -> list[list[str]]:
    return [data_of(i) for i in invocations]


def put_records(
    kinesis: Any, stream: str, items: list[str], partition_key: str = "pk"
) -> list[str]:
    """Write ``items`` one by one (so their order is the stream's order); their sequence numbers."""
    return [
        kinesis.put_record(StreamName=stream, Data=item.encode(), PartitionKey=partition_key)[
            "SequenceNumber"
        ]
        for item in items
    ]


def put_many(kinesis: Any, stream: str, items: list[str], partition_key: str = "pk") -> list[str]:
    """Write ``items`` with PutRecords, 500 a call, in order; their sequence numbers."""
    sequences: list[str] = []
    for start in range(0, len(items), 500):
        chunk = items[start : start + 500]
        result = kinesis.put_records(
            StreamName=stream,
            Records=[{"Data": item.encode(), "PartitionKey": partition_key} for item in chunk],
        )
        sequences.extend(r["SequenceNumber"] for r in result["Records"])
    return sequences


def stream_arrivals(
    kinesis: Any, stream: str, shard_id: str = "shardId-000000000000"
) -> dict[str, float]:
    """Sequence number -> approximate arrival time (epoch seconds) of every record in a shard."""
    iterator = kinesis.get_shard_iterator(
        StreamName=stream, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    found: dict[str, float] = {}
    while True:
        page = kinesis.get_records(ShardIterator=iterator, Limit=10000)
        for record in page["Records"]:
            found[record["SequenceNumber"]] = record["ApproximateArrivalTimestamp"].timestamp()
        if not page["Records"]:
            return found
        iterator = page["NextShardIterator"]


def iso_utc(epoch: float) -> str:
    """An instant as destination records and windows write it (ms, UTC, "Z"), computed here
    with the standard library's ISO formatter rather than the runtime's own."""
    moment = datetime.fromtimestamp(epoch, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def drain_queue(sqs: Any, url: str) -> list[Any]:
    """Every message now in a queue, bodies parsed as JSON, deleted as read."""
    bodies: list[Any] = []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return bodies
        for message in messages:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def stream_arn(kinesis: Any, stream: str) -> str:
    return kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"][
        "StreamARN"
    ]


# A Kinesis consumer whose behaviour the records themselves decide: a record whose data
# starts with "poison" makes the invocation fail.
KINESIS_APP = """
import os
from chalice import Chalice

app = Chalice(app_name="conformance")


@app.on_kinesis_record(
    stream=os.environ["STREAM"],
    batch_size=int(os.environ["BATCH_SIZE"]),
    starting_position=os.environ["START"],
    maximum_batching_window_in_seconds=int(os.environ["WINDOW"]),
)
def consume(event):
    for record in event:
        if record.data.startswith(b"poison"):
            raise ValueError("poison record " + record.sequence_number)
"""


def kinesis_project(
    root: Path,
    stream: str,
    *,
    batch_size: int = 100,
    start: str = "TRIM_HORIZON",
    window: int = 0,
    event_source: dict[str, Any] | None = None,
    app_source: str = KINESIS_APP,
) -> Path:
    """A project around KINESIS_APP (or ``app_source``) with ``event_source`` settings."""
    functions = {"consume": {"event_source": event_source}} if event_source else {}
    return write_project(
        root,
        app_source,
        environment={
            "STREAM": stream,
            "BATCH_SIZE": str(batch_size),
            "START": start,
            "WINDOW": str(window),
        },
        functions=functions,
    )
