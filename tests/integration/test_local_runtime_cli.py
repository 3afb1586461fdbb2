"""``python -m local_runtime``: the ready line, one log line per invocation, clean stop."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import boto3
import pytest

from tests.conformance.projects import (  # noqa: F401 (restore_environ is a fixture)
    restore_environ,
    unique,
    write_project,
)

pytestmark = pytest.mark.emulator

REPO = Path(__file__).resolve().parents[2]

APP = """
import json
import re
import os
from chalice import Chalice

app = Chalice(app_name="lr-cli")


@app.on_kinesis_record(stream=os.environ["STREAM"], starting_position="LATEST")
def consume(event):
    with open(os.environ["OUT"], "a") as out:
        for record in event:
            out.write(record.data.decode() + "\\n")


@app.on_sns_message(topic=os.environ["TOPIC"])
def notified(event):
    with open(os.environ["OUT"], "a") as out:
        out.write("sns:" + event.message + "\\n")
"""


def _start(app_dir: Path, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-m", "local_runtime", "--project-dir", str(app_dir), *extra],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _read_line_with_timeout(stream, timeout: float) -> str:
    found: list[str] = []
    reader = threading.Thread(target=lambda: found.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return found[0] if found else ""


def test_cli_prints_ready_runs_handlers_and_stops_cleanly(tmp_path: Path):
    # GIVEN a project with a Kinesis and an SNS handler
    kinesis, sns = boto3.client("kinesis"), boto3.client("sns")
    stream, topic = unique("lr-cli-stream"), unique("lr-cli-topic")
    kinesis.create_stream(StreamName=stream, ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(StreamName=stream, WaiterConfig={"Delay": 0.2})
    topic_arn = sns.create_topic(Name=topic)["TopicArn"]
    out = tmp_path / "out.txt"
    out.touch()
    app_dir = write_project(
        tmp_path / "app",
        APP,
        app_name="lr-cli",
        environment={"STREAM": stream, "TOPIC": topic, "OUT": str(out)},
    )
    # WHEN the CLI starts
    process = _start(app_dir, "--stage", "local", "--poll-interval", "0.1")
    try:
        ready = _read_line_with_timeout(process.stdout, 60)
        # THEN it prints one ready line naming every event source
        assert ready == (
            f"ready: 2 event sources (consume<-kinesis {stream}, notified<-sns {topic})\n"
        )
        # AND runs the handlers
        kinesis.put_record(StreamName=stream, Data=b"posted", PartitionKey="k")
        sns.publish(TopicArn=topic_arn, Message=json.dumps("fanned"))
        deadline_lines = {"posted", 'sns:"fanned"'}
        waited = 0.0
        while set(out.read_text().split()) != deadline_lines and waited < 30:
            threading.Event().wait(0.1)
            waited += 0.1
        assert sorted(out.read_text().split()) == sorted(deadline_lines)
    finally:
        # AND stops cleanly on SIGTERM
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    # AND froze the heap it started with out of full collections
    frozen = re.search(r"INFO (\d+) objects frozen out of full collections", stderr)
    assert frozen is not None and int(frozen.group(1)) > 0, stderr
    assert f"invoke consume <- kinesis:{stream}/shardId-000000000000 records=1 outcome=ok" in stderr
    assert f"invoke notified <- sns:{topic} records=1 outcome=ok" in stderr


def test_cli_reports_a_bad_setting_and_exits_2(tmp_path: Path):
    app_dir = write_project(
        tmp_path / "app",
        APP,
        app_name="lr-cli",
        environment={"STREAM": "s", "TOPIC": "t", "OUT": "/dev/null"},
        functions={"consume": {"event_source": {"MaximumRetryAttempts": 10001}}},
    )
    process = _start(app_dir, "--stage", "local")
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 2
    assert stdout == ""
    assert (
        "local_runtime: configuration error: consume: MaximumRetryAttempts must be "
        "-1 or 0..10000, got 10001" in stderr
    )
