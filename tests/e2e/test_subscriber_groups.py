"""One post with a mention through the whole local stack: it reaches the feed group
(every follower), the notifications group (the mentioned user, once) and the archive
(a line with the event's id), each step under the post's correlation id in the trace."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

import boto3
import pytest
import requests

from devstack.stack import PROJECT_DIR

from .conftest import sign_in_users, wait_for

pytestmark = pytest.mark.e2e


def _archived_lines(prefix: str) -> list[dict]:
    s3 = boto3.client("s3")
    lines = []
    listed = s3.list_objects_v2(Bucket="yubl-archive-local", Prefix=prefix)
    for item in listed.get("Contents", []):
        body = s3.get_object(Bucket="yubl-archive-local", Key=item["Key"])["Body"].read()
        lines += [json.loads(line) for line in body.decode().splitlines()]
    return lines


def test_a_post_with_a_mention_reaches_every_group_under_its_correlation_id(local_stack):
    api = local_stack.api_url
    tag = uuid.uuid4().hex[:8]
    author, mentioned = f"author-{tag}", f"bob-{tag}"
    followers = [f"fan-{i}-{tag}" for i in range(3)]
    tokens = sign_in_users([author, mentioned, *followers])
    for follower in followers:
        follow = requests.put(
            f"{api}/users/{author}/followers/{follower}", headers=tokens[follower], timeout=30
        )
        assert follow.status_code == 204
    correlation_id = f"e2e-groups-{tag}"
    response = requests.post(
        f"{api}/yubls",
        json={"author_id": author, "text": f"hello @{mentioned} and @{mentioned}"},
        headers={"x-correlation-id": correlation_id, **tokens[author]},
        timeout=30,
    )
    assert response.status_code == 202
    yubl = response.json()
    expected_item = {
        "yubl_id": yubl["yubl_id"],
        "author_id": author,
        "text": f"hello @{mentioned} and @{mentioned}",
        "posted_at": yubl["posted_at"],
    }

    def items(path: str) -> list[dict]:
        user = path.split("/")[2]
        got = requests.get(f"{api}{path}", headers=tokens[user], timeout=30)
        assert got.status_code == 200
        return got.json()["items"]

    # THEN every follower's feed and the mentioned user's notifications hold it once
    for follower in followers:
        wait_for(lambda f=follower: items(f"/users/{f}/feed"), 120, f"the feed of {follower}")
        assert items(f"/users/{follower}/feed") == [expected_item]
    wait_for(lambda: items(f"/users/{mentioned}/notifications"), 120, "the notification")
    page = requests.get(
        f"{api}/users/{mentioned}/notifications?limit=5", headers=tokens[mentioned], timeout=30
    )
    assert page.json() == {"items": [expected_item], "next_cursor": None}
    assert items(f"/users/{author}/notifications") == []

    # AND the archive holds a line with the event's id, under the post's date
    date = yubl["posted_at"][:10].replace("-", "/")
    event_id = f"yubl-posted:{yubl['yubl_id']}"
    lines = wait_for(
        lambda: [
            line
            for line in _archived_lines(f"events/yubl-posted/{date}/")
            if line["event_id"] == event_id
        ],
        120,
        "the archive line",
    )
    assert lines[0]["yubl"] == expected_item

    # AND `make trace` shows the routing to each group and each group's work
    def traced() -> list[str] | None:
        done = subprocess.run(
            [sys.executable, "-m", "devstack.trace", correlation_id],
            cwd=PROJECT_DIR,
            env={"LOCAL_LOG_FILE": str(local_stack.log_file), "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
        )
        printed = done.stdout.splitlines()
        wanted = ("feed entries written", "notifications written", "event archived")
        return printed if all(any(w in p for p in printed) for w in wanted) else None

    printed = wait_for(traced, 60, "every group's log line in the trace")
    routed = [
        p.split()[1] + " " + p.split("INFO")[1].split("(hop")[0].strip()
        for p in printed
        if "yubl routed" in p
    ]
    assert routed == [
        "distribute_yubl yubl routed to group feed",
        "distribute_yubl yubl routed to group notifications",
        "distribute_yubl yubl routed to group archive",
    ]
    workers = {p.split()[1] for p in printed if "written" in p or "archived" in p}
    # a post to one follower: the feed group's priority lane
    assert workers == {"add_to_feed_priority", "notify_mentioned", "archive_events"}
    # the notification was written once, for the one user mentioned (twice in the text)
    as_json = subprocess.run(
        [sys.executable, "-m", "devstack.trace", correlation_id, "--json"],
        cwd=PROJECT_DIR,
        env={"LOCAL_LOG_FILE": str(local_stack.log_file), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    fields = [json.loads(line) for line in as_json.stdout.splitlines()]
    notified = [f["users"] for f in fields if f.get("message") == "notifications written"]
    assert notified == [[mentioned]]
    assert [f for f in fields if f.get("level") in ("WARNING", "ERROR")] == []
