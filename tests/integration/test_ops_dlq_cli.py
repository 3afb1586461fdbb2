"""``make dlq`` on the local stage's own queues and stream (the emulator; the runtime only
to have Lambda give a batch up)."""

from __future__ import annotations

import base64
import copy
import json
from datetime import UTC, datetime

import boto3
import pytest
from aws_kinesis_agg.aggregator import RecordAggregator
from yubl_producer import yubl_posted

from chalicelib.adapters.sqs_failure_sink import SqsFailureSink
from chalicelib.contract import check_event
from chalicelib.domain.errors import InvalidInput
from chalicelib.streams.parking import queue_json
from chalicelib.streams.policies import halt
from chalicelib.streams.processor import StreamProcessor, processors
from chalicelib.streams.retry import rerun_parked
from devstack.stack import PROJECT_DIR
from local_runtime import LocalRuntime
from ops.dlq import main
from ops.queues import ParkedMessage, QueueInspector
from tests.aws_samples import KINESIS_FAILURE_SAMPLE, sqs_record
from tests.conformance.projects import restore_environ, unique, write_project

__all__ = ["restore_environ"]  # the runtime sets the project's variables: undone after each test

pytestmark = pytest.mark.emulator


@pytest.fixture
def stage_queues(stack_outputs):
    sqs = boto3.client("sqs")
    urls = {
        name: sqs.get_queue_url(QueueName=stack_outputs[key])["QueueUrl"]
        for name, key in (("retry", "RetryQueueName"), ("dead", "DeadLetterQueueName"))
    }
    for url in urls.values():
        sqs.purge_queue(QueueUrl=url)  # once a minute at most: one test uses them
    return urls


def test_redrive_all_parks_a_batch_and_leaves_what_it_refuses(stack_outputs, stage_queues, capsys):
    # GIVEN two posts in the stage's stream that Lambda gave up, and a message no one can run
    kinesis, sqs = boto3.client("kinesis"), boto3.client("sqs")
    stream = stack_outputs["YublPostedStreamName"]
    posts = [
        {"yubl": {"text": f"cli {n}"}, "__context__": {"x-correlation-id": f"cli-{n}"}}
        for n in range(2)
    ]
    put = [
        kinesis.put_record(StreamName=stream, Data=json.dumps(p).encode(), PartitionKey="cli")
        for p in posts
    ]
    assert put[0]["ShardId"] == put[1]["ShardId"]
    summary = kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]
    failure = copy.deepcopy(KINESIS_FAILURE_SAMPLE)
    failure["requestContext"]["functionArn"] = (
        "arn:aws:lambda:us-east-1:123456789012:function:yubl-fanout-local-distribute_yubl"
    )
    failure["KinesisBatchInfo"].update(
        shardId=put[0]["ShardId"],
        startSequenceNumber=put[0]["SequenceNumber"],
        endSequenceNumber=put[1]["SequenceNumber"],
        approximateArrivalOfFirstRecord=f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%S.000Z}",
        batchSize=2,
        streamArn=summary["StreamARN"],
    )
    batch_id = sqs.send_message(QueueUrl=stage_queues["dead"], MessageBody=json.dumps(failure))
    stray_id = sqs.send_message(QueueUrl=stage_queues["dead"], MessageBody='{"hello": 1}')
    # WHEN the operator re-drives every dead letter
    status = main(["--stage", "local", "redrive", "--all"])
    # THEN the batch is re-driven as two parked records, the stray one stays, exit code 1
    out, err = capsys.readouterr()
    assert status == 1
    assert out.splitlines() == [
        f"re-driven {batch_id['MessageId']}",
        "1 message(s) re-driven to the retry queue as 2 parked record(s); 1 refused",
    ]
    assert err.splitlines() == [
        f"refused {stray_id['MessageId']} (left in the dead-letter queue): "
        "not a parked record (no handler): the retry worker could not run it"
    ]
    # AND the listing shows the two parked records with their correlation ids
    assert main(["--stage", "local", "list", "--queue", "retry", "--json"]) == 0
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    seen = sorted((m["handler"], m["correlation_id"], m["record"]["yubl"]["text"]) for m in listed)
    assert seen == [
        ("distribute_yubl", "cli-0", "cli 0"),
        ("distribute_yubl", "cli-1", "cli 1"),
    ]


def test_a_dead_letter_holding_a_lone_surrogate_is_listed_in_utf8(stack_outputs, capsys):
    # (no purge: SQS allows one a minute, and the listing below looks for its own line)
    # GIVEN a record whose JSON held "\ud800", dead-lettered by the handlers' own sink
    failed = json.loads(
        '{"handler": "fan_out_range", "policy": "retry_then_park", "payload": {"yubl": '
        '"\\ud800"}, "text": null, "error": {"type": "InvalidInput", "message": '
        '"yubl: must be an object"}, "attempts": 1, "first_failure_at": '
        '"2026-11-24T03:27:45.000Z", "origin": {}}'
    )
    assert failed["payload"]["yubl"] == "\ud800"  # a lone surrogate, not its escape
    sink = SqsFailureSink(
        boto3.client("sqs"), stack_outputs["RetryQueueName"], stack_outputs["DeadLetterQueueName"]
    )
    sink.dead_letter(failed, {"x-correlation-id": "c-surrogate"})
    # WHEN the operator lists the dead-letter queue
    assert main(["--stage", "local", "list", "--queue", "dead"]) == 0
    out = capsys.readouterr().out
    # THEN the listing is printable UTF-8, the surrogate shown as its escape
    assert '      record: {"yubl": "\\ud800"}' in out.encode().decode().splitlines()


# The dispatcher's contract check under the halt policy, deployed under the dispatcher's
# name: a poison user record fails the invocation, so Lambda retries the aggregate and
# then gives it up to the stage's on-failure destination (the real dispatcher's
# retry_then_park dead-letters the user record itself; Lambda gives a batch up when an
# invocation fails for good, its sink unreachable or its time out).
GIVING_UP_APP = """
import os

from chalice import Chalice

from chalicelib.contract import check_event
from chalicelib.streams.policies import halt
from chalicelib.streams.processor import StreamProcessor

app = Chalice(app_name="yubl-fanout", configure_logs=False)  # as app.py: the logger is ours
processor = StreamProcessor("gives_up_under_test", lambda event: None, halt(), contract=check_event)


@app.on_kinesis_record(stream=os.environ["STREAM"], starting_position="TRIM_HORIZON")
def distribute_yubl(event):
    return processor.process(event.to_dict(), event.context)
"""


def _retry_worker_runs(message: ParkedMessage) -> dict:
    """The retry worker's answer to one parked message, as SQS would hand it over."""
    attributes = {
        name: {"stringValue": value["StringValue"], "dataType": value["DataType"]}
        for name, value in message.attributes.items()
    }
    event = {"Records": [sqs_record(attributes, queue_json(message.body))]}
    return processors["retry_parked_under_test"].process(event)


def test_an_aggregate_lambda_gave_up_is_re_driven_one_user_record_at_a_time(
    stack_outputs, tmp_path, capsys, monkeypatch
):
    # (no purge: SQS allows one a minute; every step below picks out this test's messages)
    # GIVEN an aggregate made by aws-kinesis-agg, its middle user record breaking the contract
    tag = unique("kpl")
    good = [yubl_posted("alice", f"good {n}", correlation_id=f"{tag}-{n}").record for n in (0, 2)]
    poison = yubl_posted("alice", "poison", correlation_id=f"{tag}-1").record
    poison["yubl"]["posted_at"] = "yesterday"
    aggregator = RecordAggregator()
    for event in (good[0], poison, good[1]):
        assert aggregator.add_user_record("alice", json.dumps(event).encode()) is None
    partition_key, _, blob = aggregator.clear_and_get().get_contents()
    kinesis = boto3.client("kinesis")
    stream = unique("kpl-gave-up")
    kinesis.create_stream(StreamName=stream, ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(StreamName=stream, WaiterConfig={"Delay": 0.2})
    put = kinesis.put_record(StreamName=stream, Data=blob, PartitionKey=partition_key)
    arn = kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"][
        "StreamARN"
    ]
    # AND a dispatcher that fails on it, under the stage's own mapping settings (retries,
    # bisect, the on-failure destination: the stage's dead-letter queue)
    config = json.loads((PROJECT_DIR / ".chalice" / "config.json").read_text())
    mapping = config["stages"]["local"]["lambda_functions"]["distribute_yubl"]["event_source"]
    assert (
        mapping["DestinationConfig"]["OnFailure"]["Destination"]
        == (stack_outputs["DeadLetterQueueName"])
    )
    for name in ("gives_up_under_test", "distribute_yubl", "retry_parked_under_test"):
        monkeypatch.setitem(processors, name, processors.get(name))
    project = write_project(
        tmp_path,
        GIVING_UP_APP,
        app_name="yubl-fanout",
        environment={"STREAM": stream},
        functions={"distribute_yubl": {"event_source": mapping}},
    )
    runtime = LocalRuntime.from_project(
        project, "local", stream_retry_delays=(0.01, 0.05), receive_wait=0
    )
    with runtime:
        runtime.wait_until_idle(timeout=90)
    capsys.readouterr()  # the app's own log lines
    # WHEN the operator lists the dead-letter queue
    assert main(["--stage", "local", "list", "--queue", "dead", "--json"]) == 0
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    [gave_up] = [m for m in listed if (m["record"] or {}).get("streamArn") == arn]
    # THEN Lambda's on-failure record names the one Kinesis record, the aggregate
    assert (gave_up["handler"], gave_up["error"]["type"]) == (
        "yubl-fanout-local-distribute_yubl",
        "RetryAttemptsExhausted",
    )
    batch = gave_up["record"]
    assert (batch["startSequenceNumber"], batch["endSequenceNumber"], batch["batchSize"]) == (
        put["SequenceNumber"],
        put["SequenceNumber"],
        1,
    )
    # WHEN the operator re-drives it
    assert main(["--stage", "local", "redrive", gave_up["message_id"]]) == 0
    # THEN it becomes three parked records, one a user record
    assert capsys.readouterr().out.splitlines() == [
        f"re-driven {gave_up['message_id']}",
        "1 message(s) re-driven to the retry queue as 3 parked record(s); 0 refused",
    ]
    inspector = QueueInspector(
        boto3.client("sqs"), stack_outputs["RetryQueueName"], stack_outputs["DeadLetterQueueName"]
    )
    parked = sorted(
        (m for m in inspector.peek("retry") if (m.correlation_id or "").startswith(tag)),
        key=lambda m: m.body["origin"]["subSequenceNumber"],
    )
    assert [m.correlation_id for m in parked] == [f"{tag}-0", f"{tag}-1", f"{tag}-2"]
    # AND each carries its own data, its sequence and sub-sequence numbers
    assert [m.body["payload"] for m in parked] == [good[0], poison, good[1]]
    assert [
        (
            m.body["handler"],
            m.body["origin"]["sequenceNumber"],
            m.body["origin"]["subSequenceNumber"],
        )
        for m in parked
    ] == [("distribute_yubl", put["SequenceNumber"], n) for n in range(3)]
    assert [base64.b64decode(m.body["origin"]["data"]) for m in parked] == [
        json.dumps(event).encode() for event in (good[0], poison, good[1])
    ]
    # AND the listing shows where each came from
    assert main(["--stage", "local", "list", "--queue", "retry"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert (
        f"      from: Kinesis record {put['SequenceNumber']}, user record 1 (partition key alice)"
        in out
    )
    # WHEN the retry worker re-runs each through the dispatcher's contract and handler
    ran: list[dict] = []
    StreamProcessor("distribute_yubl", ran.append, halt(), contract=check_event)
    StreamProcessor("retry_parked_under_test", rerun_parked, halt())
    answers = [_retry_worker_runs(m) for m in (parked[0], parked[2])]
    # THEN the good ones run, each with its own data, and the poison one fails alone, naming
    # its field (halt: the message stays, and the queue dead-letters it after its receives)
    assert answers == [{"batchItemFailures": []}] * 2
    assert ran == good
    with pytest.raises(InvalidInput, match=r"^yubl\.posted_at: must be an RFC 3339 time"):
        _retry_worker_runs(parked[1])
    assert ran == good
