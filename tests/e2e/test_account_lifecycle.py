"""An account's whole life on ``make run``'s stack: signed up, followed (some followers
inactive, some muting it), posting, mentioned, exported (the URL fetched with curl),
deleted; then whole-table counts find no row of theirs, every other count is right, and
what was under way when it was deleted (a follow, a mute, a post) changed nothing.

The local stage caches an account's status 2 s and waits 3 s before a deletion's
second phase (``.chalice/config.json``), so the whole deletion takes seconds here.
"""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
import requests
from boto3.dynamodb.conditions import Attr

from chalicelib.domain.posts import new_yubl, yubl_posted_event

from .conftest import RunningStack, log_lines, scan, sign_in_users, users_table, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1800)]

ARCHIVE, EXPORTS = "yubl-archive-local", "yubl-exports-local"
OLD_READ = "2026-01-01T00:00:00Z"  # more than FANOUT_ACTIVE_DAYS (30) ago: inactive


@dataclass
class Scene:
    api: str
    user: str
    tokens: dict[str, dict[str, str]]
    followers: list[str]
    followed: list[str]
    posts: list[str]
    active_followers: int
    started: datetime


def _in_parallel(call, items) -> list[Any]:
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(call, items))


def _build(stack: RunningStack, followers_n: int, posts_n: int) -> Scene:
    """The user with ``followers_n`` followers (15% inactive, 10% muting them), following
    three users (each with one more follower), muting one, mentioned once, and
    ``posts_n`` posts (every fifth mentioning a follower), all fanned out. The user and
    the users on their side of a follow sign in and act over HTTP; the followers are rows
    written straight into the tables, as many follows would have left them."""
    run = uuid.uuid4().hex[:6]
    user = f"leaver-{run}"
    followers = [f"fan-{i:04d}-{run}" for i in range(followers_n)]
    followed = [f"star-{i}-{run}" for i in range(3)]
    other = f"other-{run}"
    started = datetime.now(UTC)
    tokens = sign_in_users([user, *followed, other])
    users_table().register(followers[-1], started.strftime("%Y-%m-%dT%H:%M:%S.000Z"))
    api = stack.api_url
    inactive = followers[: followers_n * 15 // 100]
    muters = followers[len(inactive) : len(inactive) + followers_n // 10]
    dynamodb = boto3.resource("dynamodb")
    for table, items in (
        ("relationships-local", [{"user_id": user, "follower_id": f} for f in followers]),
        ("mutes-local", [{"user_id": m, "author_id": user} for m in muters]),
        ("activity-local", [{"user_id": q, "last_read_at": OLD_READ} for q in inactive]),
    ):
        with dynamodb.Table(table).batch_writer() as writer:
            for item in items:
                writer.put_item(Item=item)
    dynamodb.Table("authors-local").update_item(  # the count the follows would have kept
        Key={"author_id": user},
        UpdateExpression="ADD followers :n",
        ExpressionAttributeValues={":n": followers_n},
    )

    def put(path_and_who: tuple[str, str]) -> int:
        path, who = path_and_who
        return requests.put(f"{api}{path}", headers=tokens[who], timeout=30).status_code

    calls = [(f"/users/{star}/followers/{user}", user) for star in followed]
    calls += [(f"/users/{star}/followers/{other}", other) for star in followed]
    calls += [(f"/users/{user}/mutes/{followed[1]}", user)]
    assert set(_in_parallel(put, calls)) == {204}
    posts = []
    for n in range(posts_n):
        text = f"post {n}" + (f" hi @{followers[-1]}" if n % 5 == 0 else "")
        answer = requests.post(
            f"{api}/yubls", json={"text": text}, headers=tokens[user], timeout=30
        )
        assert answer.status_code == 202
        posts.append(answer.json()["yubl_id"])
    mention = requests.post(
        f"{api}/yubls", json={"text": f"hello @{user}"}, headers=tokens[followed[0]], timeout=30
    )
    assert mention.status_code == 202
    active = followers_n - len(inactive) - len(muters)
    wait_for(
        lambda: len(scan("feeds-local", Attr("author_id").eq(user))) == active * posts_n,
        timeout=600,
        what=f"{active * posts_n} feed entries of {user}'s posts",
        interval=2,
    )
    wait_for(
        lambda: scan("notifications-local", Attr("user_id").eq(user)),
        timeout=60,
        what=f"{user}'s notification",
    )
    return Scene(api, user, tokens, followers, followed, posts, active, started)


def _get(scene: Scene, path: str) -> Any:
    response = requests.get(f"{scene.api}{path}", headers=scene.tokens[scene.user], timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def _every(scene: Scene, path: str, key: str) -> list[Any]:
    items, cursor = [], None
    while True:
        page = _get(scene, f"{path}?limit=1000" + (f"&cursor={cursor}" if cursor else ""))
        items += page[key]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def _export_with_curl(scene: Scene) -> list[dict[str, Any]]:
    """POST the export, wait for it, download it with curl as a user would."""
    api, headers = scene.api, scene.tokens[scene.user]
    requested = requests.post(f"{api}/users/{scene.user}/exports", headers=headers, timeout=30)
    assert requested.status_code == 202
    path = f"{api}/users/{scene.user}/exports/{requested.json()['export_id']}"
    ready = wait_for(
        lambda: (
            (r := requests.get(path, headers=headers, timeout=30).json())["status"] == "ready" and r
        ),
        timeout=120,
        what="the export",
    )
    curl = subprocess.run(
        ["curl", "-sSf", ready["url"]], capture_output=True, text=True, check=True, timeout=60
    )
    return [json.loads(line) for line in curl.stdout.splitlines()]


def _archived_lines(since: datetime) -> list[dict[str, Any]]:
    """Every archive line written since ``since`` (objects older hold none of this test's)."""
    s3 = boto3.client("s3")
    lines = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=ARCHIVE, Prefix="events/"):
        for item in page.get("Contents", []):
            if item["LastModified"] >= since - timedelta(seconds=5):
                body = s3.get_object(Bucket=ARCHIVE, Key=item["Key"])["Body"].read()
                lines += [json.loads(line) for line in body.decode().splitlines()]
    return lines


def _rows_of(user: str, since: datetime) -> dict[str, int]:
    """Every row naming ``user``, per table, counted over whole tables."""
    s3 = boto3.client("s3")
    exports = s3.list_objects_v2(Bucket=EXPORTS, Prefix=f"users/{user}/").get("KeyCount", 0)
    return {
        "feed entries of their posts": len(scan("feeds-local", Attr("author_id").eq(user))),
        "their feed": len(scan("feeds-local", Attr("user_id").eq(user))),
        "relationships": len(
            scan("relationships-local", Attr("user_id").eq(user) | Attr("follower_id").eq(user))
        ),
        "mutes": len(scan("mutes-local", Attr("user_id").eq(user) | Attr("author_id").eq(user))),
        "notifications": len(
            scan("notifications-local", Attr("user_id").eq(user) | Attr("author_id").eq(user))
        ),
        "archive lines": sum(
            line.get("yubl", {}).get("author_id") == user for line in _archived_lines(since)
        ),
        "archive index": len(scan("archive-index-local", Attr("user_id").eq(user))),
        "exports": exports,
        "posts with text": len(
            scan("posts-local", Attr("author_id").eq(user) & Attr("text").exists())
        ),
        "activity": len(scan("activity-local", Attr("user_id").eq(user))),
        "follower count": len(scan("authors-local", Attr("author_id").eq(user))),
    }


def _lifecycle(local_stack: RunningStack, followers_n: int, posts_n: int) -> None:
    scene = _build(local_stack, followers_n, posts_n)
    user, api, headers = scene.user, scene.api, scene.tokens[scene.user]
    # GIVEN the export equals what the API shows of them
    exported = _export_with_curl(scene)
    shown = [
        {"type": "profile", **_get(scene, f"/users/{user}")},
        *({"type": "post", **p} for p in _every(scene, f"/users/{user}/yubls", "items")),
        *(
            {"type": "following", "user_id": u}
            for u in _every(scene, f"/users/{user}/following", "following")
        ),
        *(
            {"type": "follower", "user_id": u}
            for u in _every(scene, f"/users/{user}/followers", "followers")
        ),
        *({"type": "mute", "author_id": a} for a in _every(scene, f"/users/{user}/mutes", "mutes")),
        *(
            {"type": "notification", **n}
            for n in _every(scene, f"/users/{user}/notifications", "items")
        ),
    ]
    assert exported == shown
    assert len(exported) == 1 + posts_n + 3 + followers_n + 1 + 1
    counts_before = {star: _get(scene, f"/users/{star}")["followers"] for star in scene.followed}
    assert counts_before == {star: 2 for star in scene.followed}

    # WHEN they delete their account
    correlation_id = f"leave-{uuid.uuid4().hex}"
    deleted = requests.delete(
        f"{api}/users/{user}", headers={**headers, "x-correlation-id": correlation_id}, timeout=30
    )
    assert deleted.status_code == 202
    body = deleted.json()
    assert set(body) == {"user_id", "deleted_at"} and body["user_id"] == user
    # a follow and a mute accepted just before the mark, written just after it; a post
    # published just before, read by the dispatcher after the deletion
    relationships = boto3.resource("dynamodb").Table("relationships-local")
    relationships.put_item(Item={"user_id": user, "follower_id": scene.followed[0]})
    boto3.resource("dynamodb").Table("mutes-local").put_item(
        Item={"user_id": scene.followed[2], "author_id": user}
    )
    late = new_yubl(user, "in flight", now=datetime.now(UTC))
    boto3.client("kinesis").put_record(
        StreamName="yubl-posted-local",
        Data=json.dumps(yubl_posted_event(late)).encode(),
        PartitionKey=user,
    )

    # THEN their token is refused at once by the API that served the DELETE, which
    # answers a repeat the same
    refused = requests.get(f"{api}/users/{user}/feed", headers=headers, timeout=30)
    assert (refused.status_code, refused.json()) == (
        401,
        {"error": f"Authorization: the account {user} is deleted"},
    )
    again = requests.delete(f"{api}/users/{user}", headers=headers, timeout=30)
    assert (again.status_code, again.json()) == (202, body)
    assert requests.get(f"{api}/users/{user}", timeout=30).status_code == 404
    follow = requests.put(
        f"{api}/users/{user}/followers/{scene.followed[0]}",
        headers=scene.tokens[scene.followed[0]],
        timeout=30,
    )
    assert (follow.status_code, follow.json()) == (
        404,
        {"error": f"user_id: user {user} deleted their account"},
    )

    # AND once the deletion has run, no row of theirs is left anywhere
    users = users_table()
    wait_for(lambda: users.get(user).erased_at, timeout=300, what=f"{user}'s erasure", interval=1)
    nothing = dict.fromkeys(_rows_of(user, scene.started), 0)
    wait_for(  # the posts' feed removals are delivered asynchronously
        lambda: _rows_of(user, scene.started) == nothing,
        timeout=120,
        what=f"no row of {user} left",
        interval=2,
    )
    assert {star: _get_public(api, star)["followers"] for star in scene.followed} == {
        star: 1 for star in scene.followed
    }
    assert users.get(user).status == "deleted"
    erasure = boto3.client("s3").get_object(
        Bucket=ARCHIVE, Key=f"erasures/user-deleted/{user}.ndjson"
    )
    record = json.loads(erasure["Body"].read())
    assert (record["user_id"], record["deleted_at"]) == (user, body["deleted_at"])
    assert record["removed"]["followers"] == followers_n + 1  # the raced follow too
    assert record["removed"]["muted_by"] == followers_n // 10 + 1  # the raced mute too

    # AND the whole deletion is one trace: HTTP, dispatcher, deletion worker, feed workers
    lines = log_lines(local_stack.log_file, correlation_id)
    functions = {(line.get("function_name"), line.get("message")) for line in lines}
    assert ("api_handler", "account deleted") in functions
    assert ("distribute_yubl", "user-deleted routed") in functions
    assert ("delete_account", "account deletion: waiting") in functions
    assert ("delete_account", "account deletion: erased") in functions
    # (200 followers: the priority lane's worker, FANOUT_PRIORITY_MAX_FOLLOWERS 1,000)
    assert ("add_to_feed_priority", "feed entries removed") in functions
    assert [line for line in lines if line.get("level") in ("WARNING", "ERROR")] == []
    # AND the late post changed nothing, with its reason logged
    refusals = [
        line
        for line in log_lines(local_stack.log_file)
        if line.get("message") == "event about a deleted account changes nothing"
        and user in str(line.get("reason"))
    ]
    assert [line["reason"] for line in refusals] == [
        f"the author {user} deleted their account at {body['deleted_at']}"
    ]


def _get_public(api: str, user: str) -> dict[str, Any]:
    response = requests.get(f"{api}/users/{user}", timeout=30)
    assert response.status_code == 200
    return response.json()


def test_an_account_with_200_followers_and_10_posts_lives_and_is_deleted(local_stack):
    started = time.perf_counter()
    _lifecycle(local_stack, followers_n=200, posts_n=10)
    print(f"account lifecycle, 200 followers, 10 posts: {time.perf_counter() - started:.1f}s")


@pytest.mark.full
def test_an_account_with_2000_followers_and_30_posts_lives_and_is_deleted(local_stack):
    started = time.perf_counter()
    _lifecycle(local_stack, followers_n=2000, posts_n=30)
    print(f"account lifecycle, 2,000 followers, 30 posts: {time.perf_counter() - started:.1f}s")
