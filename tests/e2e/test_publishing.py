"""Producers against make run's stack: the AWS CLI v1 in the documented format, a KPL
aggregate with a poison user record, and a producer's retry (the same event twice, new
sequence numbers) changing nothing visible."""

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
from aws_kinesis_agg.aggregator import RecordAggregator
from yubl_producer import Publisher, yubl_posted

from ops.dlq import main as dlq

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


def test_a_poison_user_record_of_an_aggregate_is_dead_lettered_alone_and_its_siblings_delivered(
    local_stack, capsys
):
    # GIVEN an aggregate made by aws-kinesis-agg: two posts around one that breaks the contract
    tag = uuid.uuid4().hex[:8]
    author, follower = f"agg-{tag}", f"fan-{tag}"
    tokens = sign_in_users([author, follower])
    _follow(local_stack.api_url, author, follower, tokens)
    posts = [yubl_posted(author, f"aggregated {n}", correlation_id=f"{tag}-{n}") for n in range(3)]
    records = [post.record for post in posts]
    records[1]["yubl"]["posted_at"] = "yesterday"
    aggregator = RecordAggregator()
    for record in records:
        assert aggregator.add_user_record(author, json.dumps(record).encode()) is None
    key, _, blob = aggregator.clear_and_get().get_contents()
    put = boto3.client("kinesis").put_record(
        StreamName="yubl-posted-local", PartitionKey=key, Data=blob
    )

    # WHEN the dispatcher reads it THEN the two good posts reach the follower's feed
    def feed() -> list[str]:
        return [
            i["text"]
            for i in _items(local_stack.api_url, f"/users/{follower}/feed", tokens[follower])
        ]

    wait_for(lambda: len(feed()) >= 2, 120, "the two good posts")
    assert sorted(feed()) == ["aggregated 0", "aggregated 2"]

    # AND make dlq lists the poison one alone, with its sequence and sub-sequence numbers
    def dead_letters() -> list[dict]:
        capsys.readouterr()
        assert dlq(["--stage", "local", "list", "--queue", "dead", "--json"]) == 0
        listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        return [m for m in listed if (m["correlation_id"] or "").startswith(tag)]

    [dead] = wait_for(dead_letters, 60, "the poison user record's dead letter")
    assert (dead["correlation_id"], dead["record"]) == (f"{tag}-1", records[1])
    assert dead["error"]["message"].startswith("yubl.posted_at: must be an RFC 3339 time")
    origin = dead["origin"]
    assert (origin["sequenceNumber"], origin["subSequenceNumber"]) == (put["SequenceNumber"], 1)


def _logged(log_file: Path, message: str, **fields: str) -> list[dict]:
    """The stack's JSON log lines with this message and these field values."""
    found = []
    for line in log_file.read_text().splitlines():
        if message not in line or "{" not in line:
            continue
        entry = json.loads(line[line.index("{") :])
        if entry.get("message") == message and all(entry.get(k) == v for k, v in fields.items()):
            found.append(entry)
    return found


def _archived_lines(event_id: str) -> list[dict]:
    """Every archive line of ``event_id``, in every object of the archive bucket."""
    s3 = boto3.client("s3")
    lines = []
    for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket="yubl-archive-local", Prefix="events/yubl-posted/"
    ):
        for listed in page.get("Contents", []):
            body = s3.get_object(Bucket="yubl-archive-local", Key=listed["Key"])["Body"].read()
            lines += [json.loads(line) for line in body.decode().splitlines()]
    return [line for line in lines if line.get("event_id") == event_id]


def _rows_naming(table: str, yubl_id: str) -> list[dict]:
    """Every row of ``table`` that names the yubl, whatever its key (a Scan, not a GetItem)."""
    scan = boto3.client("dynamodb").get_paginator("scan")
    pages = scan.paginate(
        TableName=table,
        FilterExpression="yubl_id = :y",
        ExpressionAttributeValues={":y": {"S": yubl_id}},
    )
    return [row for page in pages for row in page["Items"]]


def test_the_same_event_put_twice_gives_one_feed_entry_and_one_notification(local_stack):
    # GIVEN an author, a follower and a mentioned user
    tag = uuid.uuid4().hex[:8]
    author, follower, mentioned = f"dup-{tag}", f"fan-{tag}", f"bob-{tag}"
    tokens = sign_in_users([author, follower, mentioned])
    _follow(local_stack.api_url, author, follower, tokens)
    event = yubl_posted(author, f"twice @{mentioned}", posted_at="2026-11-23T15:30:00.791339+00:00")
    yubl_id = event.record["yubl"]["yubl_id"]
    event_id = f"yubl-posted:{yubl_id}"
    # WHEN a producer puts the same event twice (its retry): two records, two sequence numbers
    kinesis = boto3.client("kinesis")
    first, second = (Publisher(kinesis, "yubl-posted-local").publish([event])[0] for _ in "12")
    assert first.ok and second.ok and first.sequence_number != second.sequence_number
    # THEN the dispatcher distributes both copies; on the wire, the feed group gets the
    # post once (its fan-out progress: the second copy finds every follower published),
    # the event-shaped groups get both copies (their consumers are idempotent)
    log = local_stack.log_file
    wait_for(lambda: len(_logged(log, "yubl distributed", yubl_id=yubl_id)) >= 2, 120, "both")
    routed = {
        group: [
            (e["messages"], e.get("resumed_after"))
            for e in _logged(log, f"yubl routed to group {group}", yubl_id=yubl_id)
        ]
        for group in ("feed", "notifications", "archive")
    }
    assert routed == {
        "feed": [(1, None), (0, follower)],
        "notifications": [(1, None), (1, None)],
        "archive": [(1, None), (1, None)],
    }
    # AND the workers got what was published: one feed message, two notification messages
    # (each writing the same one notification), two archive lines (waited on in the
    # stack's log, not on a table that hides a repeat)
    for message, fields, count in (
        ("feed entries written", {"yubl_id": yubl_id}, 1),
        ("notifications written", {"yubl_id": yubl_id}, 2),
        ("event archived", {"event_id": event_id}, 2),
    ):
        wait_for(lambda m=message, f=fields, n=count: len(_logged(log, m, **f)) >= n, 120, message)
    assert len(_logged(log, "feed entries written", yubl_id=yubl_id)) == 1
    assert [e["users"] for e in _logged(log, "notifications written", yubl_id=yubl_id)] == [
        [mentioned],
        [mentioned],
    ]
    # AND what readers see holds the post once: the follower's feed, the mentioned user's
    # notifications, the author's posts, each read whole through the API
    expected = {
        "yubl_id": yubl_id,
        "author_id": author,
        "text": f"twice @{mentioned}",
        "posted_at": "2026-11-23T15:30:00.791Z",
    }
    api = local_stack.api_url
    assert _items(api, f"/users/{follower}/feed", tokens[follower]) == [expected]
    assert _items(api, f"/users/{mentioned}/notifications", tokens[mentioned]) == [expected]
    assert [p["yubl_id"] for p in _items(api, f"/users/{author}/yubls", tokens[author])] == [
        yubl_id
    ]
    # AND the tables hold one row each, looked for by the yubl, not by a key
    assert [r["user_id"]["S"] for r in _rows_naming("feeds-local", yubl_id)] == [follower]
    assert [r["user_id"]["S"] for r in _rows_naming("notifications-local", yubl_id)] == [mentioned]
    # AND the archive keeps both lines, one event id, as documented: a reader that drops
    # repeats by event id reads the event once
    archived = _archived_lines(event_id)
    assert len(archived) == 2
    assert list({line["event_id"]: line for line in archived}) == [event_id]
