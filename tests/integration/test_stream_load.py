"""``python -m loadtests.stream_load`` as the README runs it, against the emulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import boto3
import pytest

from devstack.stack import PROJECT_DIR

pytestmark = pytest.mark.emulator


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "loadtests.stream_load", *args],
        capture_output=True,
        text=True,
        cwd=PROJECT_DIR,
        env={"PATH": os.environ["PATH"], **env},
        timeout=120,
    )


def _stored(stream: str) -> int:
    kinesis = boto3.client("kinesis")
    total = 0
    for shard in kinesis.list_shards(StreamName=stream)["Shards"]:
        iterator = kinesis.get_shard_iterator(
            StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        total += len(kinesis.get_records(ShardIterator=iterator, Limit=10000)["Records"])
    return total


def test_a_rate_for_some_seconds_sends_rate_times_seconds_records(emulator_endpoint):
    stream = f"load-{uuid.uuid4().hex[:8]}"
    boto3.client("kinesis").create_stream(StreamName=stream, ShardCount=1)
    env = {k: v for k, v in os.environ.items() if k.startswith("AWS_")}
    done = _run("--stream", stream, "--rate", "10", "--seconds", "3", env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["kinesis_records"] == 30
    assert _stored(stream) == 30


def test_without_a_region_it_says_which_variable_to_set(emulator_endpoint):
    env = {k: v for k, v in os.environ.items() if k.startswith("AWS_") and "REGION" not in k}
    env["AWS_CONFIG_FILE"] = "/nonexistent"
    done = _run("--stream", "any", "--seconds", "1", env=env)
    assert done.returncode == 2
    assert done.stderr.startswith("no AWS region: set AWS_DEFAULT_REGION or pass --region")
