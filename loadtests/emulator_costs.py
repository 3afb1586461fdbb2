"""``python -m loadtests.emulator_costs``: the emulator's CPU per call of each operation the
fan-out makes, stock moto against the emulator as ``make run`` starts it, side by side.

Two fresh emulators in one run (``devstack.emulator.start_emulator``: stock with
``query_index=False``, and the default one with ``devstack.query_index``, the
keep-alive server of ``devstack.emulator_http`` and the speed-ups of
``devstack.emulator_speedups``, ``devstack.item_speedups``, ``devstack.request_speedups``,
``devstack.result_speedups``, ``devstack.value_speedups``, ``devstack.sqs_speedups``,
``devstack.batch_get_speedups``, ``devstack.query_speedups`` and ``devstack.sns_speedups``).
On each, one client thread makes the same calls in the same order, and the emulator
process's CPU seconds (``loadtests.cpu``: user + system) are read before and after each
operation's calls.
The shapes are the fan-out's: a feed entry of 140 characters, 100 followers a group
message, a relationships partition of 10,000 followers, an SNS topic with one SQS
subscriber (the local runtime's transport) whose queue holds the messages published
before each receive (about 500). CPU per call, not time: the machine's other load
shows less in it.

The last line is one JSON object (milliseconds of emulator CPU per call, by operation and
emulator). ``BENCH_EMULATOR_COSTS_SCALE`` (1) multiplies the number of calls.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from chalicelib.settings_catalog import read_int
from devstack.emulator import Emulator, start_emulator

from .cpu import cpu_seconds
from .raw_rate import create_feed_table, feed_entries, write_batch

__all__ = ["Costs", "measure_costs", "report"]

TEXT = "x" * 140


@contextmanager
def _emulator(stock: bool) -> Iterator[Emulator]:
    emulator = start_emulator(request_log=False, query_index=not stock)
    try:
        yield emulator
    finally:
        emulator.stop()


def _clients(emulator: Emulator) -> dict[str, Any]:
    return {name: emulator.client(name) for name in ("dynamodb", "sqs", "sns")}


def _table(dynamodb: Any, name: str, keys: tuple[str, ...]) -> None:
    dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k in keys],
        KeySchema=[
            {"AttributeName": k, "KeyType": kind}
            for k, kind in zip(keys, ("HASH", "RANGE"), strict=False)
        ],
    )


def _put(dynamodb: Any, table: str, items: list[dict[str, Any]]) -> None:
    for start in range(0, len(items), 25):
        write_batch(
            dynamodb, table, [{"PutRequest": {"Item": x}} for x in items[start : start + 25]]
        )


def _operations(c: dict[str, Any]) -> Iterator[tuple[str, int, Callable[[int], Any]]]:
    """(name, base number of calls, call) in the order they run; each call gets its index."""
    ddb, sqs, sns = c["dynamodb"], c["sqs"], c["sns"]
    feeds = create_feed_table(ddb, "feeds")
    _table(ddb, "relationships", ("user_id", "follower_id"))
    _table(ddb, "activity", ("user_id",))
    yield (
        "BatchWriteItem, 25 feed entries",
        200,
        # the raw rate's entries (make bench), new followers each call
        lambda i: ddb.batch_write_item(RequestItems={feeds: feed_entries(25, TEXT, 25 * i)}),
    )
    _put(
        ddb,
        "activity",
        [{"user_id": {"S": f"f{k:05d}"}, "last_read_at": {"S": "2026-11-23"}} for k in range(2000)],
    )
    keys = [{"user_id": {"S": f"f{k:05d}"}} for k in range(2000)]
    yield (
        "BatchGetItem, 100 last reads",
        100,
        lambda i: ddb.batch_get_item(
            RequestItems={"activity": {"Keys": keys[i % 20 * 100 : i % 20 * 100 + 100]}}
        ),
    )
    yield (
        "GetItem, consistent (a tombstone)",
        300,
        lambda i: ddb.get_item(TableName="activity", Key=keys[i % 2000], ConsistentRead=True),
    )
    _put(
        ddb,
        "relationships",
        [{"user_id": {"S": "big-00"}, "follower_id": {"S": f"f{k:05d}"}} for k in range(10_000)],
    )

    def followers(limit: int, **more: Any) -> Callable[[int], Any]:
        return lambda i: ddb.query(
            TableName="relationships",
            KeyConditionExpression="user_id = :u",
            ExpressionAttributeValues={":u": {"S": "big-00"}},
            Limit=limit,
            **more,
        )

    yield (
        "Query, 1,001 followers' ids",
        20,
        followers(1001, ProjectionExpression="follower_id"),
    )
    yield (
        "Query, 10,000 followers' ids",
        5,
        followers(10_000, ProjectionExpression="follower_id"),
    )
    yield "Query, COUNT of 10,000", 5, followers(10_000, Select="COUNT")
    queue = sqs.create_queue(QueueName="transport")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    topic = sns.create_topic(Name="feed")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    yield "ReceiveMessage, empty queue", 300, lambda i: sqs.receive_message(QueueUrl=queue)
    body = json.dumps(
        {"type": "feed-fanout", "followers": [f"f{k:05d}" for k in range(100)], "text": TEXT}
    )
    entries10 = [{"Id": str(k), "Message": body} for k in range(10)]
    yield (
        "PublishBatch, 10 messages to an SQS subscriber",
        50,
        lambda i: sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=entries10),
    )
    handles: list[str] = []

    def receive(i: int) -> None:
        answer = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, VisibilityTimeout=600)
        handles.extend(m["ReceiptHandle"] for m in answer.get("Messages", []))

    yield "ReceiveMessage, 10 of about 500", 40, receive
    yield (
        "DeleteMessage",
        200,
        lambda i: sqs.delete_message(QueueUrl=queue, ReceiptHandle=handles.pop()),
    )


def _cpu(pid: int) -> float:
    spent = cpu_seconds(pid)
    if spent is None:
        raise RuntimeError(f"the emulator (pid {pid}) is gone: its costs cannot be read")
    return spent


@dataclass(frozen=True)
class Costs:
    """Milliseconds of emulator CPU per call, and the calls measured, by operation."""

    ms_per_call: dict[str, float]
    calls: dict[str, int]


def measure_costs(stock: bool, scale: float, progress: Callable[[str], None]) -> Costs:
    """Each operation's calls (its base number times ``scale``, at least one) on a fresh
    emulator, after one call that warms moto's caches."""
    costs: dict[str, float] = {}
    made: dict[str, int] = {}
    with _emulator(stock) as emulator:
        pid = emulator.process.pid
        for name, base, call in _operations(_clients(emulator)):
            calls = made[name] = max(1, round(base * scale))
            call(0)
            before = _cpu(pid)
            for i in range(1, calls + 1):
                call(i)
            costs[name] = round(1000 * (_cpu(pid) - before) / calls, 2)
            progress(f"{'stock moto' if stock else 'emulator'}: {name}: {costs[name]} ms a call")
    return Costs(costs, made)


def main() -> int:
    scale = read_int(os.environ, "BENCH_EMULATOR_COSTS_SCALE")

    def progress(line: str) -> None:
        print(f"[emulator-costs] {line}", flush=True)

    stock = measure_costs(True, scale, progress)
    ours = measure_costs(False, scale, progress)
    print(report(stock, ours))
    print(
        json.dumps(
            {
                "ms_cpu_per_call": {"stock": stock.ms_per_call, "emulator": ours.ms_per_call},
                "calls": ours.calls,
            }
        )
    )
    return 0


def report(stock: Costs, ours: Costs) -> str:
    """The two emulators side by side, an operation a line."""
    width = max(len(name) for name in stock.ms_per_call)
    lines = [f"{'emulator CPU ms per call':{width}}  {'stock moto':>10}  {'make run':>10}  calls"]
    for name, ms in stock.ms_per_call.items():
        lines.append(
            f"{name:{width}}  {ms:10.2f}  {ours.ms_per_call[name]:10.2f}  {ours.calls[name]}"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
