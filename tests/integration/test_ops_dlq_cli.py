"""``make dlq`` on the local stage's own queues and stream (the emulator, no runtime)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime

import boto3
import pytest

from chalicelib.adapters.sqs_failure_sink import SqsFailureSink
from ops.dlq import main
from tests.aws_samples import KINESIS_FAILURE_SAMPLE

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
