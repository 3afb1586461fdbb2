"""Producers against make run's stack: the AWS CLI v1 in the documented format, and a
producer's retry (the same event twice, new sequence numbers) changing nothing visible."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import boto3
import pytest
import requests
from yubl_producer import Publisher, yubl_posted

from .conftest import sign_in_users, wait_for

pytestmark = pytest.mark.e2e

AWSCLI_VERSION = "1.46.2"


@pytest.fixture(scope="session")
def aws_cli_v1() -> Path:
    """The AWS CLI v1 in a virtual environment of its own (it pins its own botocore),
    made once in the user's cache folder."""
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    venv = cache / "yubl-fanout" / f"awscli-{AWSCLI_VERSION}"
    aws = venv / "bin" / "aws"
    if not aws.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "--quiet", f"awscli=={AWSCLI_VERSION}"],
            check=True,
        )
    return aws


def _items(api: str, path: str, headers: dict[str, str]) -> list[dict]:
    got = requests.get(f"{api}{path}", headers=headers, timeout=30)
    assert got.status_code == 200
    return got.json()["items"]


def _follow(api: str, author: str, follower: str, tokens: dict) -> None:
    follow = requests.put(
        f"{api}/users/{author}/followers/{follower}", headers=tokens[follower], timeout=30
    )
    assert follow.status_code == 204


def test_put_records_of_the_aws_cli_v1_in_the_documented_format_reach_the_feed(
    local_stack, aws_cli_v1, tmp_path
):
    tag = uuid.uuid4().hex[:8]
    author, follower = f"cli-{tag}", f"fan-{tag}"
    tokens = sign_in_users([author, follower])
    _follow(local_stack.api_url, author, follower, tokens)
    event = yubl_posted(author, "from the AWS CLI").record
    records = tmp_path / "records.json"
    records.write_text(json.dumps([{"PartitionKey": author, "Data": json.dumps(event)}]))
    env = {k: v for k, v in os.environ.items() if k.startswith("AWS_") or k == "PATH"}
    done = subprocess.run(
        [str(aws_cli_v1), "kinesis", "put-records", "--stream-name", "yubl-posted-local",
         "--records", f"file://{records}"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["FailedRecordCount"] == 0
    feed = f"/users/{follower}/feed"
    wait_for(lambda: _items(local_stack.api_url, feed, tokens[follower]), 120, "the feed entry")
    [item] = _items(local_stack.api_url, feed, tokens[follower])
    assert (item["yubl_id"], item["text"]) == (event["yubl"]["yubl_id"], "from the AWS CLI")


def test_the_same_event_put_twice_gives_one_feed_entry_and_one_notification(local_stack):
    tag = uuid.uuid4().hex[:8]
    author, follower, mentioned = f"dup-{tag}", f"fan-{tag}", f"bob-{tag}"
    tokens = sign_in_users([author, follower, mentioned])
    _follow(local_stack.api_url, author, follower, tokens)
    event = yubl_posted(author, f"twice @{mentioned}", posted_at="2026-11-23T15:30:00.791339+00:00")
    kinesis = boto3.client("kinesis")
    first, second = (Publisher(kinesis, "yubl-posted-local").publish([event])[0] for _ in "12")
    assert first.ok and second.ok and first.sequence_number != second.sequence_number
    feed, notes = f"/users/{follower}/feed", f"/users/{mentioned}/notifications"
    wait_for(lambda: _items(local_stack.api_url, feed, tokens[follower]), 120, "the feed entry")
    wait_for(lambda: _items(local_stack.api_url, notes, tokens[mentioned]), 120, "the note")
    # both records handled: the dispatcher logged the post twice
    yubl_id = event.record["yubl"]["yubl_id"]

    def distributed() -> int:
        lines = local_stack.log_file.read_text().splitlines()
        found = [json.loads(line[line.index("{") :]) for line in lines if yubl_id in line]
        return sum(line.get("message") == "yubl distributed" for line in found) >= 2

    wait_for(distributed, 120, "both records distributed")
    expected = {
        "yubl_id": event.record["yubl"]["yubl_id"],
        "author_id": author,
        "text": f"twice @{mentioned}",
        "posted_at": "2026-11-23T15:30:00.791Z",
    }
    assert _items(local_stack.api_url, feed, tokens[follower]) == [expected]
    assert _items(local_stack.api_url, notes, tokens[mentioned]) == [expected]
