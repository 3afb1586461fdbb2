"""The producer package against the emulator: PutRecords in part failed (the fault
proxy), KPL aggregates per shard read back from the stream, and the CLI as a user runs it."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import uuid
from collections import defaultdict

import boto3
import pytest
from aws_kinesis_agg.deaggregator import iter_deaggregate_records
from yubl_producer import Publisher, yubl_posted
from yubl_producer.aggregation import ShardMap

from tests.reliability.fault_proxy import FaultProxy

pytestmark = pytest.mark.emulator


@pytest.fixture
def stream(emulator_endpoint):
    kinesis = boto3.client("kinesis")
    name = f"producer-{uuid.uuid4().hex[:8]}"
    kinesis.create_stream(StreamName=name, ShardCount=2)
    kinesis.get_waiter("stream_exists").wait(StreamName=name)
    yield name
    kinesis.delete_stream(StreamName=name)


def _read_all(stream: str) -> dict[str, list[dict]]:
    """Every record of every shard, by shard id, in order."""
    kinesis = boto3.client("kinesis")
    found: dict[str, list[dict]] = {}
    for shard in kinesis.list_shards(StreamName=stream)["Shards"]:
        iterator = kinesis.get_shard_iterator(
            StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records = kinesis.get_records(ShardIterator=iterator, Limit=10000)["Records"]
        found[shard["ShardId"]] = records
    return found


def _events(n: int, authors: int = 7):
    return [yubl_posted(f"author-{i % authors}", f"post {i}") for i in range(n)]


def test_only_the_failed_entries_of_a_partly_failed_put_records_are_sent_again(stream):
    # GIVEN a proxy that fails 30% of every PutRecords call's entries
    events = _events(40)
    pauses: list[float] = []
    with FaultProxy(os.environ["AWS_ENDPOINT_URL"], seed=3) as proxy:
        proxy.fail_put_records_entries(0.3)
        client = boto3.client("kinesis", endpoint_url=proxy.endpoint_url)
        publisher = Publisher(client, stream, sleep=pauses.append, jitter=lambda: 1.0)
        # WHEN the events are published
        results = publisher.publish(events)
    # THEN every event is stored exactly once, in the results and on the stream
    assert [r.ok for r in results] == [True] * 40
    stored = [json.loads(r["Data"]) for records in _read_all(stream).values() for r in records]
    assert sorted(e["yubl"]["yubl_id"] for e in stored) == sorted(
        e.record["yubl"]["yubl_id"] for e in events
    )
    # AND exactly the failed entries were retried, after a growing backoff
    retried = sum(r.attempts - 1 for r in results)
    assert proxy.failed_entries == retried > 0
    assert pauses == [0.1 * 2**i for i in range(len(pauses))]


def test_aggregates_hold_one_shard_s_keys_each_and_read_back_whole(stream):
    events = _events(60, authors=9)
    results = Publisher(boto3.client("kinesis"), stream, aggregate="shard").publish(events)
    assert all(r.ok for r in results)
    shards = ShardMap.of_stream(boto3.client("kinesis"), stream)
    read: dict[str, list[str]] = defaultdict(list)
    for shard_id, records in _read_all(stream).items():
        raw = [  # as Lambda hands them over, for aws-kinesis-agg's de-aggregator
            {
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "sequenceNumber": r["SequenceNumber"],
                    "approximateArrivalTimestamp": 0,
                    "partitionKey": r["PartitionKey"],
                    "data": base64.b64encode(r["Data"]),
                }
            }
            for r in records
        ]
        for user in iter_deaggregate_records(raw):
            assert user["kinesis"]["aggregated"] is True
            key = user["kinesis"]["partitionKey"]
            assert shards.shard_for(key) == shard_id  # every user record on its key's shard
            data = base64.b64decode(user["kinesis"]["data"])
            read[key].append(json.loads(data)["yubl"]["text"])
    # every event once, each author's in the order published
    expected: dict[str, list[str]] = defaultdict(list)
    for event in events:
        expected[event.partition_key].append(event.record["yubl"]["text"])
    assert read == expected
    assert len({(r.shard_id, r.sequence_number) for r in results}) < len(events)


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "yubl_producer", *args],
        capture_output=True,
        text=True,
        env={"PATH": os.environ["PATH"], **env},
        timeout=120,
    )


def test_the_cli_publishes_a_jsonl_file_and_ends_with_a_summary(stream, tmp_path):
    events = _events(12)
    lines = tmp_path / "events.jsonl"
    lines.write_text("".join(json.dumps(e.record) + "\n" for e in events))
    env = {k: v for k, v in os.environ.items() if k.startswith("AWS_")}
    done = _cli("publish", "--stream", stream, str(lines), env=env)
    assert (done.returncode, done.stdout) == (0, "sent 12, retried 0, failed 0\n")
    assert done.stderr.splitlines()[-1] == (
        "12/12 events: sent 12, failed 0, retried 0 (1 PutRecords call)"
    )
    stored = sum(len(records) for records in _read_all(stream).values())
    assert stored == 12


@pytest.mark.parametrize(
    ("drop", "message"),
    [
        (
            "AWS_DEFAULT_REGION",
            "error: no AWS region: set AWS_DEFAULT_REGION (or AWS_REGION) or pass --region",
        ),
        (
            "AWS_ACCESS_KEY_ID",
            "error: no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
            "or a profile (AWS_PROFILE or --profile)",
        ),
    ],
)
def test_the_cli_names_a_missing_region_or_credentials_and_sends_nothing(
    stream, tmp_path, drop, message
):
    lines = tmp_path / "events.jsonl"
    lines.write_text(json.dumps(_events(1)[0].record) + "\n")
    env = {k: v for k, v in os.environ.items() if k.startswith("AWS_")}
    env = {k: v for k, v in env.items() if k not in (drop, "AWS_REGION", "AWS_SESSION_TOKEN")}
    env["AWS_CONFIG_FILE"] = env["AWS_SHARED_CREDENTIALS_FILE"] = str(tmp_path / "none")
    done = _cli("publish", "--stream", stream, str(lines), env=env)
    assert (done.returncode, done.stderr.strip()) == (2, message)


def test_the_cli_refuses_a_file_with_a_bad_line_and_sends_nothing(stream, tmp_path):
    good = json.dumps(_events(1)[0].record)
    bad = json.dumps(
        {"type": "yubl-posted", "yubl": {**_events(1)[0].record["yubl"], "author_id": "a b"}}
    )
    lines = tmp_path / "events.jsonl"
    lines.write_text(f"{good}\n{bad}\nnot json\n")
    env = {k: v for k, v in os.environ.items() if k.startswith("AWS_")}
    done = _cli(
        "publish",
        "--stream",
        stream,
        str(lines),
        "--endpoint-url",
        env.pop("AWS_ENDPOINT_URL"),
        env=env,
    )
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "error: nothing was sent; fix these lines:",
        "  line 2: yubl.author_id: 'a b' does not match '^[A-Za-z0-9_-]{1,64}$'",
        "  line 3: not JSON (Expecting value: line 1 column 1 (char 0))",
    ]
    assert sum(len(records) for records in _read_all(stream).values()) == 0
