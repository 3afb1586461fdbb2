"""One author, 1,100 followers, one post: every feed holds it exactly once."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from boto3.dynamodb.conditions import Attr

from devstack.stack import PROJECT_DIR

from .conftest import log_lines, scan, sign_in_users, wait_for

# the module fixture signs in 1,101 users (3 Cognito calls each) before 1,100 follows:
# on a shared, loaded machine that alone can take minutes
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

# the stage's fan-out settings, as the dispatcher and the range workers read them
_SETTINGS = json.loads((PROJECT_DIR / ".chalice" / "config.json").read_text())[
    "environment_variables"
]
GROUP_SIZE = int(_SETTINGS["FOLLOWER_GROUP_SIZE"])
HEAD = int(_SETTINGS["FANOUT_PRIORITY_MAX_FOLLOWERS"])
BULK_GROUP_SIZE = int(_SETTINGS["FANOUT_BULK_GROUP_SIZE"])
# 11 groups of the small size: more followers than the priority lane takes (1,000), so
# the dispatcher publishes its head (10 groups: one full PublishBatch) on the bulk lane
# and hands the rest over (a plan a range worker publishes itself), and more add_to_feed
# invocations than the runtime runs at once (4). Each follower costs a sign-in, a follow
# and a feed read over HTTP, so followers past what the fan-out's shape needs only add
# time (this was 2,000, 20 groups: the same shape).
FOLLOWERS = 11 * GROUP_SIZE


def _written_groups() -> list[int]:
    """The entries each add_to_feed invocation writes, smallest first: the head in
    groups of GROUP_SIZE, the rest in groups of BULK_GROUP_SIZE."""
    head, rest = min(FOLLOWERS, HEAD), max(0, FOLLOWERS - HEAD)
    sizes = [min(GROUP_SIZE, head - i) for i in range(0, head, GROUP_SIZE)]
    sizes += [min(BULK_GROUP_SIZE, rest - i) for i in range(0, rest, BULK_GROUP_SIZE)]
    return sorted(sizes)


def _feed_rows_for(yubl_id: str) -> list[dict]:
    return scan("feeds-local", Attr("yubl_id").eq(yubl_id))


@pytest.fixture(scope="module")
def fan_out(local_stack):
    """1,100 users sign in and follow one author over HTTP, then the author posts once."""
    api = local_stack.api_url
    author = f"author-{uuid.uuid4().hex[:8]}"
    followers = [f"fan-{i:04d}-{author}" for i in range(FOLLOWERS)]
    session = requests.Session()
    started = time.perf_counter()
    tokens = sign_in_users([author, *followers])
    print(f"signed in {len(tokens)} users in {time.perf_counter() - started:.1f}s")

    def follow(follower: str) -> int:
        return requests.put(
            f"{api}/users/{author}/followers/{follower}", headers=tokens[follower], timeout=30
        ).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(follow, followers))
    assert statuses == [204] * FOLLOWERS

    correlation_id = f"e2e-{uuid.uuid4().hex}"
    response = session.post(
        f"{api}/yubls",
        json={"author_id": author, "text": "hello, every follower"},
        headers={
            **tokens[author],
            "x-correlation-id": correlation_id,
            "debug-log-enabled": "false",
        },
        timeout=30,
    )
    assert response.status_code == 202
    assert response.headers["x-correlation-id"] == correlation_id
    return {
        "author": author,
        "followers": followers,
        "yubl": response.json(),
        "correlation_id": correlation_id,
        "tokens": tokens,
    }


def test_every_follower_feed_holds_the_post_exactly_once(local_stack, fan_out):
    yubl_id = fan_out["yubl"]["yubl_id"]
    rows = wait_for(
        lambda: (r := _feed_rows_for(yubl_id)) and len(r) >= FOLLOWERS and r,
        timeout=180,
        what=f"{FOLLOWERS} feed entries of {yubl_id}",
        interval=1,  # a Scan of the whole table: polled often, it slows the writes it waits on
    )
    assert sorted(row["user_id"] for row in rows) == sorted(fan_out["followers"])

    def feed(follower: str) -> list[dict]:
        response = requests.get(
            f"{local_stack.api_url}/users/{follower}/feed",
            headers=fan_out["tokens"][follower],
            timeout=30,
        )
        assert response.status_code == 200
        return response.json()["items"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        feeds = list(pool.map(feed, fan_out["followers"]))
    expected = {
        "yubl_id": yubl_id,
        "author_id": fan_out["author"],
        "text": "hello, every follower",
        "posted_at": fan_out["yubl"]["posted_at"],
    }
    assert all(items == [expected] for items in feeds)


def test_no_feed_write_is_repeated_in_a_run_without_faults(local_stack, fan_out):
    """The table key (follower, yubl) hides a duplicate delivery; the workers' log does not.

    Each add_to_feed invocation logs the followers its writes covered. In a run where
    nothing failed, every (follower, yubl) is written exactly once: at-least-once
    delivery may repeat a write only after a failure.
    """
    correlation_id = fan_out["correlation_id"]
    yubl_id = fan_out["yubl"]["yubl_id"]

    def every_follower_written():
        lines = log_lines(local_stack.log_file, correlation_id)
        writes = [line for line in lines if line.get("message") == "feed entries written"]
        covered = sum(len(w["followers"]) for w in writes)
        return (lines, writes) if covered >= FOLLOWERS else None

    lines, writes = wait_for(every_follower_written, timeout=180, what="every feed write")
    # nothing failed along the way: no retry, no park, no dead letter for this post
    assert [line for line in lines if line.get("level") in ("WARNING", "ERROR")] == []
    assert {w["yubl_id"] for w in writes} == {yubl_id}
    counts = Counter((follower, w["yubl_id"]) for w in writes for follower in w["followers"])
    repeated = {key: n for key, n in counts.items() if n > 1}
    assert repeated == {}
    assert sorted(follower for follower, _ in counts) == sorted(fan_out["followers"])


def test_one_post_is_traceable_from_http_to_every_feed_write(local_stack, fan_out):
    correlation_id = fan_out["correlation_id"]
    groups = len(_written_groups())
    assert FOLLOWERS > HEAD  # the bulk lane, a head and a plan

    def all_writes_logged():
        lines = log_lines(local_stack.log_file, correlation_id)
        writes = [line for line in lines if line.get("message") == "feed entries written"]
        return lines if len(writes) == groups else None

    lines = wait_for(all_writes_logged, timeout=180, what="every add_to_feed log line")
    messages = {(line["function_name"], line.get("message")) for line in lines}
    assert ("api_handler", "yubl posted") in messages
    assert ("distribute_yubl", "yubl distributed") in messages
    writes = [line for line in lines if line.get("message") == "feed entries written"]
    assert {w["function_name"] for w in writes} == {"add_to_feed"}
    assert sorted(w["entries"] for w in writes) == _written_groups()
    assert len({w["function_request_id"] for w in writes}) == groups  # one invocation each

    trace = subprocess.run(
        [
            sys.executable,
            "-m",
            "devstack.trace",
            correlation_id,
            "--log",
            str(local_stack.log_file),
        ],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    printed = trace.stdout.splitlines()
    stamps = [line.split()[0] for line in printed]
    assert stamps == sorted(stamps)
    first_post = next(i for i, line in enumerate(printed) if "yubl posted" in line)
    first_distribution = next(i for i, line in enumerate(printed) if "yubl distributed" in line)
    last_write = max(i for i, line in enumerate(printed) if "feed entries written" in line)
    assert first_post < first_distribution < last_write
