"""Failure policies under the local runtime, against the emulator (issue: partial failures).

A small Chalice app of our own runs the project's StreamProcessor, SQS failure sink and
retry worker on a stream of 300 numbered feed-fanout messages. Each record writes a real
feed entry for three followers and counts its tries and writes in a DynamoDB table, so
"exactly once" and "never twice" are measured, not assumed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest

from local_runtime import LocalRuntime
from ops.queues import QueueInspector
from tests.conformance.projects import put_many, unique, write_project

pytestmark = pytest.mark.emulator

APP = """
import os
from functools import cache

import boto3
from chalice import Chalice

from chalicelib.adapters.dynamodb_models import bind_feed_model
from chalicelib.adapters.dynamodb_stores import DynamoFeedStore
from chalicelib.adapters.memory import InMemoryPostStore
from chalicelib.adapters.sqs_failure_sink import SqsFailureSink
from chalicelib.services.feeds import FeedService
from chalicelib.streams import policies
from chalicelib.streams.processor import StreamProcessor
from chalicelib.streams.retry import rerun_parked

app = Chalice(app_name="policies")
POISON = {int(n) for n in os.environ["POISON"].split(",") if n}
FLAKY = {int(n) for n in os.environ["FLAKY"].split(",") if n}
FLAKY_FAILS = int(os.environ.get("FLAKY_FAILS", "2"))


@cache
def counts():
    return boto3.resource("dynamodb").Table(os.environ["COUNTS_TABLE"])


@cache
def feeds():
    return FeedService(
        DynamoFeedStore(bind_feed_model(os.environ["FEEDS_TABLE"])), InMemoryPostStore()
    )


def bump(n, field):
    response = counts().update_item(
        Key={"n": n}, UpdateExpression=f"ADD {field} :one",
        ExpressionAttributeValues={":one": 1}, ReturnValues="UPDATED_NEW",
    )
    return int(response["Attributes"][field])


def deliver(message):
    n = int(message["yubl"]["text"].split()[-1])
    tries = bump(n, "tries")
    if n in POISON:
        raise RuntimeError(f"record {n} is poison")
    if n in FLAKY and tries <= FLAKY_FAILS:
        raise RuntimeError(f"record {n} hiccup {tries}")
    feeds().add_group(message)
    bump(n, "writes")


def sink():
    return SqsFailureSink(boto3.client("sqs"), os.environ["RETRY_QUEUE"], os.environ["DLQ"])


policy = {
    "halt": policies.halt(),
    "skip": policies.skip(),
    "retry_then_park": policies.retry_then_park(attempts=3, base_delay=0.01),
    "report_item_failures": policies.report_item_failures(),
}[os.environ["POLICY"]]
processor = StreamProcessor("consume", deliver, policy, sink=sink)
retry = StreamProcessor("retry_parked", rerun_parked, policies.halt())


@app.on_kinesis_record(
    stream=os.environ["STREAM"], batch_size=200, starting_position="TRIM_HORIZON"
)
def consume(event):
    return processor.process(event.to_dict(), event.context)


@app.on_sqs_message(queue=os.environ["RETRY_QUEUE"], batch_size=1)
def retry_parked(event):
    return retry.process(event.to_dict(), event.context)
"""


def _message(n: int, author: str) -> str:
    yubl = {
        # the posts API's id format: the author's 8 random hex digits keep ids apart
        "yubl_id": f"{1795447800000 + n:013d}-{author[-8:]}{n:04x}",
        "author_id": author,
        "text": f"record {n}",
        "posted_at": "2026-11-23T15:30:00.000Z",
    }
    return json.dumps({"type": "feed-fanout", "yubl": yubl, "followers": ["f1", "f2", "f3"]})


class Scenario:
    """One stream, one counts table, one retry queue with its DLQ, one runtime run."""

    def __init__(
        self, root, stack_outputs, policy, poison="", flaky="", mapping=None, flaky_fails=2
    ):
        self.author = unique("a")
        self.dynamodb = boto3.client("dynamodb")
        self.sqs = boto3.client("sqs")
        self.kinesis = boto3.client("kinesis")
        self.stream = unique("policy-stream")
        self.kinesis.create_stream(StreamName=self.stream, ShardCount=1)
        self.kinesis.get_waiter("stream_exists").wait(
            StreamName=self.stream, WaiterConfig={"Delay": 0.2}
        )
        self.counts_table = unique("counts")
        self.dynamodb.create_table(
            TableName=self.counts_table,
            AttributeDefinitions=[{"AttributeName": "n", "AttributeType": "N"}],
            KeySchema=[{"AttributeName": "n", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
        dlq_name = unique("dlq")
        self.dlq_url = self.sqs.create_queue(QueueName=dlq_name)["QueueUrl"]
        dlq_arn = self.sqs.get_queue_attributes(QueueUrl=self.dlq_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        retry_name = unique("retry")
        self.retry_url = self.sqs.create_queue(
            QueueName=retry_name,
            Attributes={
                "VisibilityTimeout": "1",
                "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2}),
            },
        )["QueueUrl"]
        self.retry_name, self.dlq_name = retry_name, dlq_name
        self.feeds_table = stack_outputs["FeedsTableName"]
        self.project = write_project(
            root,
            APP,
            app_name="policies",
            environment={
                "STREAM": self.stream,
                "POLICY": policy,
                "POISON": poison,
                "FLAKY": flaky,
                "FLAKY_FAILS": str(flaky_fails),
                "COUNTS_TABLE": self.counts_table,
                "FEEDS_TABLE": self.feeds_table,
                "RETRY_QUEUE": retry_name,
                "DLQ": dlq_name,
            },
            functions={"consume": {"event_source": mapping}} if mapping else {},
        )

    def run(self, records: list[str]) -> LocalRuntime:
        with self.running(records) as runtime:
            return runtime

    @contextmanager
    def running(self, records: list[str]) -> Iterator[LocalRuntime]:
        """Put ``records``, start the runtime, wait until it is idle; stop it after the block."""
        put_many(self.kinesis, self.stream, records)
        runtime = LocalRuntime.from_project(
            self.project, "local", stream_retry_delays=(0.01, 0.05), receive_wait=0
        )
        runtime.start()
        try:
            runtime.wait_until_idle(timeout=90)
            yield runtime
        finally:
            runtime.stop()

    def counts(self) -> dict[int, dict[str, int]]:
        items = self.dynamodb.scan(TableName=self.counts_table)["Items"]
        return {
            int(item["n"]["N"]): {
                "tries": int(item.get("tries", {"N": "0"})["N"]),
                "writes": int(item.get("writes", {"N": "0"})["N"]),
            }
            for item in items
        }

    def drain(self, url: str) -> list[dict[str, Any]]:
        bodies = []
        while True:
            got = self.sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
            ).get("Messages", [])
            if not got:
                return bodies
            for message in got:
                bodies.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    def feed_entries(self, follower: str) -> list[str]:
        from boto3.dynamodb.conditions import Key

        table = boto3.resource("dynamodb").Table(self.feeds_table)
        rows = table.query(KeyConditionExpression=Key("user_id").eq(follower))["Items"]
        return [r["yubl_id"] for r in rows if r["author_id"] == self.author]


@pytest.fixture
def environ_restored() -> Iterator[None]:
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(scope="module")
def park_run(tmp_path_factory, stack_outputs) -> Iterator[tuple[Scenario, Any]]:
    """300 records, batch size 200: 83 always fails, 150 fails twice, 250 is not JSON."""
    saved = dict(os.environ)
    scenario = Scenario(
        tmp_path_factory.mktemp("park"), stack_outputs, "retry_then_park", poison="83", flaky="150"
    )
    records = [_message(n, scenario.author) for n in range(300)]
    records[250] = "Hello, this is a test 123."
    runtime = scenario.run(records)
    yield scenario, runtime
    os.environ.clear()
    os.environ.update(saved)


def test_retry_then_park_delivers_the_299_others_exactly_once(park_run):
    scenario, _ = park_run
    counts = scenario.counts()
    delivered = [n for n in range(300) if n not in (83, 250)]
    assert {n: counts[n]["writes"] for n in delivered} == {n: 1 for n in delivered}
    assert counts[83]["writes"] == 0
    yubls = sorted(scenario.feed_entries("f2"))
    assert len(yubls) == 298 and len(set(yubls)) == 298


def test_nothing_is_retried_in_batch_so_nothing_before_the_poison_runs_twice(park_run):
    scenario, runtime = park_run
    counts = scenario.counts()
    assert {n: counts[n]["tries"] for n in range(83)} == {n: 1 for n in range(83)}
    batches = [len(i.event["Records"]) for i in runtime.invocations_of("consume")]
    assert batches == [200, 100]  # one invocation per batch: the shard never stalled


def test_the_poison_record_reaches_the_dead_letter_queue_after_every_attempt(park_run):
    scenario, _ = park_run
    counts = scenario.counts()
    assert counts[83]["tries"] == 3 + 2  # three in process, two receives from the retry queue
    dead = scenario.drain(scenario.dlq_url)
    poison = [d for d in dead if d["payload"] is not None]
    assert [(d["handler"], d["policy"], d["attempts"], d["error"]) for d in poison] == [
        (
            "consume",
            "retry_then_park",
            3,
            {"type": "RuntimeError", "message": "record 83 is poison"},
        )
    ]
    assert json.loads(_message(83, scenario.author)) == poison[0]["payload"]


def test_a_transient_failure_is_delivered_and_never_dead_lettered(park_run):
    scenario, _ = park_run
    counts = scenario.counts()
    assert counts[150] == {"tries": 3, "writes": 1}


def test_the_neighbours_of_a_record_that_is_not_json_are_delivered(park_run):
    scenario, _ = park_run
    counts = scenario.counts()
    assert 250 not in counts  # never reached the handler
    assert counts[249]["writes"] == 1 and counts[251]["writes"] == 1


def test_dead_letter_of_the_not_json_record_names_the_reason(
    tmp_path, stack_outputs, environ_restored
):
    scenario = Scenario(tmp_path, stack_outputs, "retry_then_park")
    scenario.run(
        [_message(0, scenario.author), "Hello, this is a test 123.", _message(2, scenario.author)]
    )
    [dead] = scenario.drain(scenario.dlq_url)
    assert dead["payload"] is None
    assert dead["text"] == "Hello, this is a test 123."
    assert dead["error"] == {
        "type": "NotJson",
        "message": "data: record data is not JSON (Expecting value: line 1 column 1 (char 0))",
    }
    assert scenario.drain(scenario.retry_url) == []
    assert {n: c["writes"] for n, c in scenario.counts().items()} == {0: 1, 2: 1}


def test_skip_dead_letters_a_copy_and_carries_on(tmp_path, stack_outputs, environ_restored):
    scenario = Scenario(tmp_path, stack_outputs, "skip", poison="3")
    scenario.run([_message(n, scenario.author) for n in range(10)])
    counts = scenario.counts()
    assert {n: counts[n]["writes"] for n in range(10)} == {n: 0 if n == 3 else 1 for n in range(10)}
    assert counts[3]["tries"] == 1
    [dead] = scenario.drain(scenario.dlq_url)
    assert (dead["policy"], dead["attempts"], dead["error"]["message"]) == (
        "skip",
        1,
        "record 3 is poison",
    )
    assert scenario.drain(scenario.retry_url) == []


def test_halt_fails_the_batch_and_the_shard_waits(tmp_path, stack_outputs, environ_restored):
    scenario = Scenario(
        tmp_path, stack_outputs, "halt", poison="3", mapping={"MaximumRetryAttempts": 2}
    )
    runtime = scenario.run([_message(n, scenario.author) for n in range(10)])
    invocations = runtime.invocations_of("consume")
    assert [len(i.event["Records"]) for i in invocations] == [10, 10, 10]  # first try + 2 retries
    counts = scenario.counts()
    assert {n: counts[n]["tries"] for n in range(4)} == {0: 3, 1: 3, 2: 3, 3: 3}
    assert all(n not in counts for n in range(4, 10))  # never reached: the batch was given up
    assert scenario.drain(scenario.dlq_url) == []


def test_report_item_failures_checkpoints_at_the_first_failure(
    tmp_path, stack_outputs, environ_restored
):
    scenario = Scenario(
        tmp_path,
        stack_outputs,
        "report_item_failures",
        flaky="3",
        mapping={"FunctionResponseTypes": ["ReportBatchItemFailures"], "MaximumRetryAttempts": 5},
    )
    runtime = scenario.run([_message(n, scenario.author) for n in range(10)])
    batches = [len(i.event["Records"]) for i in runtime.invocations_of("consume")]
    assert batches == [10, 7, 7]  # record 3 reported twice; each retry starts at it
    counts = scenario.counts()
    assert {n: counts[n]["writes"] for n in range(10)} == {
        0: 1,
        1: 1,
        2: 1,
        3: 1,
        4: 3,
        5: 3,
        6: 3,
        7: 3,
        8: 3,
        9: 3,
    }


def test_operator_lists_a_dead_letter_and_redriving_it_twice_writes_it_twice_and_stores_it_once(
    tmp_path, stack_outputs, environ_restored
):
    """At least once, stored once: two re-drives of one dead letter run the handler twice
    (its writes counted by the handler in the counts table, where a third would show);
    the feed, keyed by (follower, yubl), holds the entry once."""
    scenario = Scenario(tmp_path, stack_outputs, "skip", flaky="3", flaky_fails=1)
    inspector = QueueInspector(boto3.client("sqs"), scenario.retry_name, scenario.dlq_name)
    with scenario.running([_message(n, scenario.author) for n in range(5)]) as runtime:
        [dead] = inspector.peek("dead")
        summary = dead.summary()
        assert (summary["queue"], summary["handler"], summary["attempts"]) == ("dead", "consume", 1)
        assert summary["error"] == {"type": "RuntimeError", "message": "record 3 hiccup 1"}
        assert summary["record"] == json.loads(_message(3, scenario.author))
        assert summary["correlation_id"]  # a fresh id was given to the record at capture
        assert summary["first_failure_at"].endswith("Z")
        assert [m.message_id for m in inspector.peek("dead")] == [dead.message_id]  # still there

        # the same message re-driven twice (as after a crash between send and delete)
        boto3.client("sqs").send_message(
            QueueUrl=scenario.dlq_url, MessageBody=json.dumps(dead.body)
        )
        moved = inspector.redrive(None).moved
        assert len(moved) == 2 and dead.message_id in moved
        runtime.wait_for(lambda: scenario.counts()[3]["writes"] == 2, timeout=30)
        runtime.wait_until_idle(timeout=30)
    assert scenario.counts()[3] == {"tries": 3, "writes": 2}  # tried, then two re-drives
    assert inspector.peek("dead") == []
    yubl_id = json.loads(_message(3, scenario.author))["yubl"]["yubl_id"]
    assert scenario.feed_entries("f1").count(yubl_id) == 1
    assert [i.function for i in runtime.invocations_of("retry_parked")] == ["retry_parked"] * 2
