"""Re-driving Lambda's own on-failure records (``KinesisBatchInfo``, no data), on the emulator.

The operator's re-drive reads the batch back from the stream and parks each record in
the retry queue in the shape the retry worker re-runs; what it cannot re-read stays in
the dead-letter queue with the reason. Never is the on-failure record itself sent on.
"""

from __future__ import annotations

import base64
import copy
import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from chalicelib.streams.policies import halt
from chalicelib.streams.processor import StreamProcessor, processors
from chalicelib.streams.retry import rerun_parked
from local_runtime.events import async_result_record
from ops.kinesis_batches import KinesisBatchReader
from ops.queues import QueueInspector
from ops.redrive import DeadLetterPlan
from tests.aws_samples import KINESIS_FAILURE_SAMPLE, sns_event, sqs_record
from tests.conformance.projects import put_many, unique

pytestmark = pytest.mark.emulator

PREFIX = "yubl-fanout-local"
HANDLERS = {"distribute_yubl", "add_to_feed", "retry_parked"}
DAY = 86_400


def _payload(n: int) -> dict:
    return {
        "type": "yubl-posted",
        "yubl": {"yubl_id": f"{1795447800000 + n:013d}-redrive", "text": f"post {n}"},
        "__context__": {
            "x-correlation-id": f"c-{n}",
            "x-correlation-user": f"u-{n}",
            "call-chain-length": "1",
            "debug-log-enabled": "false",
        },
    }


def _iso(at: datetime) -> str:
    return f"{at:%Y-%m-%dT%H:%M:%S.000Z}"


class Setup:
    """A stream with 7 records (a failed batch of 5 between two others) and two queues."""

    def __init__(self) -> None:
        self.kinesis = boto3.client("kinesis")
        self.sqs = boto3.client("sqs")
        self.stream = unique("redrive")
        self.kinesis.create_stream(StreamName=self.stream, ShardCount=1)
        self.kinesis.get_waiter("stream_exists").wait(StreamName=self.stream)
        summary = self.kinesis.describe_stream_summary(StreamName=self.stream)
        self.stream_arn = summary["StreamDescriptionSummary"]["StreamARN"]
        self.sequences = put_many(
            self.kinesis, self.stream, [json.dumps(_payload(n)) for n in range(7)]
        )
        retry, dead = unique("retry"), unique("dead")
        self.retry_url = self.sqs.create_queue(QueueName=retry)["QueueUrl"]
        self.dead_url = self.sqs.create_queue(QueueName=dead)["QueueUrl"]
        self.inspector = QueueInspector(self.sqs, retry, dead)

    def on_failure_record(self, first: int = 1, last: int = 5, **batch_info: object) -> dict:
        """Lambda's on-failure record of the batch ``first..last``, as the guide shows it."""
        record = copy.deepcopy(KINESIS_FAILURE_SAMPLE)
        record["requestContext"]["functionArn"] = (
            f"arn:aws:lambda:us-east-1:123456789012:function:{PREFIX}-distribute_yubl"
        )
        now = datetime.now(UTC)
        record["timestamp"] = now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        record["KinesisBatchInfo"] = {
            "shardId": "shardId-000000000000",
            "startSequenceNumber": self.sequences[first],
            "endSequenceNumber": self.sequences[last],
            "approximateArrivalOfFirstRecord": _iso(now - timedelta(minutes=5)),
            "approximateArrivalOfLastRecord": _iso(now),
            "batchSize": last - first + 1,
            "streamArn": self.stream_arn,
            **batch_info,
        }
        return record

    def dead_letter(self, body: dict) -> str:
        return self.sqs.send_message(QueueUrl=self.dead_url, MessageBody=json.dumps(body))[
            "MessageId"
        ]

    def redrive(self, max_record_age: int | None = DAY):
        reader = KinesisBatchReader(self.kinesis, lambda handler: max_record_age)
        return self.inspector.redrive(None, DeadLetterPlan(reader, PREFIX, HANDLERS))

    def retry_messages(self) -> list[dict]:
        messages: list[dict] = []
        while True:
            batch = self.sqs.receive_message(
                QueueUrl=self.retry_url,
                MaxNumberOfMessages=10,
                MessageAttributeNames=["All"],
                WaitTimeSeconds=0,
            ).get("Messages", [])
            if not batch:
                return messages
            messages += batch


@pytest.fixture
def setup(emulator_endpoint: str) -> Setup:
    return Setup()


def test_a_batch_is_re_read_from_the_stream_and_parked_record_by_record(setup, monkeypatch):
    # GIVEN Lambda's on-failure record of records 1..5 in the dead-letter queue
    failure = setup.on_failure_record(first=1, last=5)
    message_id = setup.dead_letter(failure)
    # WHEN the operator re-drives it
    result = setup.redrive()
    # THEN it leaves the dead-letter queue, as five parked records in the retry queue
    assert (result.moved, result.refused, result.sent) == ([message_id], {}, 5)
    assert setup.inspector.peek("dead") == []
    parked = setup.retry_messages()
    bodies = [json.loads(m["Body"]) for m in parked]
    assert [b["payload"] for b in bodies] == [_payload(n) for n in range(1, 6)]
    assert [b["origin"]["sequenceNumber"] for b in bodies] == setup.sequences[1:6]
    assert bodies[0] == {
        "handler": "distribute_yubl",
        "policy": "on_failure_destination",
        "payload": _payload(1),
        "text": None,
        "error": {
            "type": "RetryAttemptsExhausted",
            "message": f"Lambda gave up the batch {setup.sequences[1]}..{setup.sequences[5]} "
            "of shardId-000000000000 (Unhandled)",
        },
        "attempts": 1,
        "first_failure_at": failure["timestamp"],
        "origin": {
            "eventSourceARN": setup.stream_arn,
            "eventID": f"shardId-000000000000:{setup.sequences[1]}",
            "partitionKey": "pk",
            "sequenceNumber": setup.sequences[1],
            "data": base64.b64encode(json.dumps(_payload(1)).encode()).decode(),
        },
    }
    # AND each carries its record's correlation ids; a retry is the same hop
    assert {
        name: value["StringValue"] for name, value in parked[0]["MessageAttributes"].items()
    } == {
        "x-correlation-id": "c-1",
        "call-chain-length": "1",
        "debug-log-enabled": "false",
        "x-correlation-user": "u-1",
    }
    # AND the retry worker runs each through the handler the batch failed in, in order
    ran: list[dict] = []
    monkeypatch.setitem(processors, "distribute_yubl", processors.get("distribute_yubl"))
    monkeypatch.setitem(processors, "retry_parked_under_test", None)
    StreamProcessor("distribute_yubl", ran.append, halt())
    worker = StreamProcessor("retry_parked_under_test", rerun_parked, halt())
    for message in parked:
        attributes = {
            name: {"stringValue": value["StringValue"], "dataType": "String"}
            for name, value in message["MessageAttributes"].items()
        }
        event = {"Records": [sqs_record(attributes, message["Body"])]}
        assert worker.process(event) == {"batchItemFailures": []}
    assert ran == [_payload(n) for n in range(1, 6)]


def _refusal(setup: Setup, body: dict, max_record_age: int | None = DAY) -> str:
    """Re-drive ``body`` alone; check it stayed put and nothing was sent; the reason."""
    message_id = setup.dead_letter(body)
    result = setup.redrive(max_record_age)
    assert (result.moved, list(result.refused), result.sent) == ([], [message_id], 0)
    [kept] = setup.inspector.peek("dead")
    assert (kept.message_id, kept.body) == (message_id, body)
    assert setup.retry_messages() == []
    return result.refused[message_id]


def test_a_batch_older_than_the_retention_is_refused_naming_the_record_age_trap(setup):
    arrived = datetime.now(UTC) - timedelta(hours=25)
    body = setup.on_failure_record(approximateArrivalOfFirstRecord=_iso(arrived))
    reason = _refusal(setup, body)
    expired = arrived.replace(microsecond=0) + timedelta(hours=24)
    assert reason == (
        f"the batch's records have left {setup.stream}: its first record arrived "
        f"{arrived:%Y-%m-%dT%H:%M:%SZ} and the stream keeps records 24 h, so they expired "
        f"{expired:%Y-%m-%dT%H:%M:%SZ}. Note: distribute_yubl's MaximumRecordAgeInSeconds "
        "(86400) is not below the retention (86400 s), so a batch given up for its age is "
        "already expiring; lower it or raise the stream's retention period"
    )


def test_a_batch_whose_first_record_was_trimmed_is_refused(setup):
    # the stream begins after the batch's first record (as after trimming)
    body = setup.on_failure_record(startSequenceNumber="0")
    reason = _refusal(setup, body, max_record_age=3_600)
    assert reason.startswith(f"the batch's records have left {setup.stream}: ")
    assert reason.endswith(
        f"the shard no longer holds record 0 (it begins at {setup.sequences[0]})"
    )


def test_a_batch_of_a_shard_that_is_gone_is_refused(setup):
    body = setup.on_failure_record(shardId="shardId-000000000007")
    assert _refusal(setup, body) == (
        f"shard shardId-000000000007 of {setup.stream} no longer exists (a resharded parent "
        "past the retention period): the batch's records are gone"
    )


def test_a_batch_of_a_stream_that_is_gone_is_refused(setup):
    body = setup.on_failure_record()
    setup.kinesis.delete_stream(StreamName=setup.stream)
    assert _refusal(setup, body) == (
        f"stream {setup.stream} no longer exists: the batch's records are gone"
    )


def test_a_batch_of_an_unknown_function_is_refused(setup):
    body = setup.on_failure_record()
    body["requestContext"]["functionArn"] = "arn:aws:lambda:us-east-1:1:function:other-fn"
    assert _refusal(setup, body) == (
        "function other-fn is none of this stage's handlers "
        "(add_to_feed, distribute_yubl, retry_parked)"
    )


def test_refused_and_re_driven_batches_are_told_apart(setup):
    # GIVEN one batch that can be re-read and one of a shard that is gone
    good = setup.dead_letter(setup.on_failure_record(first=2, last=3))
    gone = setup.dead_letter(setup.on_failure_record(shardId="shardId-000000000009"))
    # WHEN both are re-driven THEN only the first leaves, as its two records
    result = setup.redrive()
    assert (result.moved, list(result.refused), result.sent) == ([good], [gone], 2)
    assert [m.message_id for m in setup.inspector.peek("dead")] == [gone]
    payloads = [json.loads(m["Body"])["payload"] for m in setup.retry_messages()]
    assert payloads == [_payload(2), _payload(3)]


def test_a_message_the_retry_worker_could_not_run_stays(setup):
    assert _refusal(setup, {"hello": "world"}) == (
        "not a parked record (no handler): the retry worker could not run it"
    )


def test_a_failed_asynchronous_invocation_is_parked_not_bounced(setup):
    # GIVEN the local runtime's record of a failed add_to_feed invocation
    event = sns_event({}, message=json.dumps({"type": "feed-fanout", "followers": ["f9"]}))
    body = async_result_record(
        request_id="r-2",
        function_arn=f"arn:aws:lambda:us-east-1:123456789012:function:{PREFIX}-add_to_feed",
        condition="RetriesExhausted",
        invoke_count=3,
        payload=event,
        function_error="Unhandled",
        response_payload={"errorMessage": "boom"},
        now=datetime.now(UTC).timestamp(),
    )
    message_id = setup.dead_letter(body)
    # WHEN it is re-driven THEN its SNS message waits in the retry queue as a parked record
    result = setup.redrive()
    assert (result.moved, result.refused, result.sent) == ([message_id], {}, 1)
    [parked] = [json.loads(m["Body"]) for m in setup.retry_messages()]
    assert (parked["handler"], parked["payload"]) == (
        "add_to_feed",
        {"type": "feed-fanout", "followers": ["f9"]},
    )


def test_a_batch_larger_than_one_send_is_parked_whole(setup):
    # GIVEN a failed batch of 12 records of 25 KB each: more than one SendMessageBatch holds
    big = [{"n": n, "text": "x" * 25_000} for n in range(12)]
    sequences = put_many(setup.kinesis, setup.stream, [json.dumps(item) for item in big])
    setup.sequences += sequences
    message_id = setup.dead_letter(setup.on_failure_record(first=7, last=18))
    # WHEN it is re-driven THEN all 12 wait in the retry queue (a standard queue: any order)
    result = setup.redrive()
    assert (result.moved, result.sent) == ([message_id], 12)
    bodies = [json.loads(m["Body"]) for m in setup.retry_messages()]
    assert sorted(b["origin"]["sequenceNumber"] for b in bodies) == sorted(sequences)
    assert sorted(b["payload"]["n"] for b in bodies) == list(range(12))
    assert all(b["payload"] == big[b["payload"]["n"]] for b in bodies)
