"""The feed's lifecycle through the whole local stack (``python -m devstack``): a post
reaches three feeds as references; a delete hides it from every read from its answer on
and its rows leave the feeds table; a delete that overtakes its post keeps the post out for
good; an unfollow removes the author's entries and a follow backfills them."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import boto3
import pytest
import requests
from boto3.dynamodb.conditions import Key

from .conftest import sign_in_users, wait_for

pytestmark = pytest.mark.e2e

FOLLOWERS = 3


@pytest.fixture
def author(local_stack) -> dict:
    """A fresh author with three followers, signed in and following over HTTP."""
    name = f"life-{uuid.uuid4().hex[:8]}"
    followers = [f"{name}-f{i}" for i in range(FOLLOWERS)]
    tokens = sign_in_users([name, *followers])
    for follower in followers:
        url = f"{local_stack.api_url}/users/{name}/followers/{follower}"
        assert requests.put(url, headers=tokens[follower], timeout=30).status_code == 204
    return {"name": name, "followers": followers, "tokens": tokens}


def _feed_ids(api: str, user: str, tokens: dict) -> list[str]:
    response = requests.get(f"{api}/users/{user}/feed", headers=tokens[user], timeout=30)
    assert response.status_code == 200
    return [item["yubl_id"] for item in response.json()["items"]]


def _rows(user: str) -> list[dict]:
    return (
        boto3.resource("dynamodb")
        .Table("feeds-local")
        .query(KeyConditionExpression=Key("user_id").eq(user), ConsistentRead=True)["Items"]
    )


def _post(api: str, author: str, text: str, tokens: dict) -> dict:
    response = requests.post(
        f"{api}/yubls", json={"text": text}, headers=tokens[author], timeout=30
    )
    assert response.status_code == 202
    return response.json()


def test_a_deleted_post_vanishes_from_every_feed_read_and_row(local_stack, author):
    api, tokens = local_stack.api_url, author["tokens"]
    yubl_id = _post(api, author["name"], "here, then gone", tokens)["yubl_id"]
    wait_for(
        lambda: all(_feed_ids(api, f, tokens) == [yubl_id] for f in author["followers"]),
        timeout=120,
        what="the post in three feeds",
    )
    rows = _rows(author["followers"][0])
    assert [sorted(row) for row in rows] == [["author_id", "posted_at", "user_id", "yubl_id"]]

    response = requests.delete(
        f"{api}/users/{author['name']}/yubls/{yubl_id}", headers=tokens[author["name"]], timeout=30
    )
    assert response.status_code == 202
    # read-your-delete: the reads right after the answer leave it out, whether or not
    # the dispatcher has read the delete yet
    assert [_feed_ids(api, f, tokens) for f in author["followers"]] == [[]] * FOLLOWERS
    wait_for(
        lambda: all(_rows(f) == [] for f in author["followers"]),
        timeout=120,
        what="the deleted post's rows gone from the feeds table",
    )
    post = (
        boto3.resource("dynamodb")
        .Table("posts-local")
        .get_item(Key={"author_id": author["name"], "yubl_id": yubl_id})["Item"]
    )
    assert "text" not in post and post["deleted_at"] == response.json()["deleted_at"]


def test_a_delete_read_before_its_post_keeps_the_post_out(local_stack, author):
    api, name, tokens = local_stack.api_url, author["name"], author["tokens"]
    now = datetime.now(UTC)
    stamp = now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
    yubl_id = f"{int(now.timestamp() * 1000):013d}-{uuid.uuid4().hex[:12]}"
    kinesis = boto3.client("kinesis")
    # the delete first, then its post (a replay): same stream, same partition key
    for event in (
        {
            "type": "yubl-deleted",
            "yubl": {"yubl_id": yubl_id, "author_id": name, "deleted_at": stamp},
        },
        {
            "type": "yubl-posted",
            "yubl": {"yubl_id": yubl_id, "author_id": name, "text": "never", "posted_at": stamp},
        },
    ):
        kinesis.put_record(
            StreamName="yubl-posted-local", Data=json.dumps(event).encode(), PartitionKey=name
        )
    # a later post by the same author is read after both: once it shows, they were handled
    later = _post(api, name, "the one that shows", tokens)["yubl_id"]
    wait_for(
        lambda: all(_feed_ids(api, f, tokens) == [later] for f in author["followers"]),
        timeout=120,
        what="the later post, alone, in three feeds",
    )
    for follower in author["followers"]:
        assert [row["yubl_id"] for row in _rows(follower)] == [later]


def test_an_unfollow_removes_the_authors_entries_and_a_follow_brings_them_back(local_stack, author):
    api, name, tokens = local_stack.api_url, author["name"], author["tokens"]
    posted = sorted(_post(api, name, f"#{i}", tokens)["yubl_id"] for i in range(2))
    leaver, stayer = author["followers"][:2]
    wait_for(
        lambda: sorted(r["yubl_id"] for r in _rows(leaver)) == posted,
        timeout=120,
        what="two posts in the feed",
    )
    url = f"{api}/users/{name}/followers/{leaver}"
    assert requests.delete(url, headers=tokens[leaver], timeout=30).status_code == 204
    wait_for(lambda: _rows(leaver) == [], timeout=120, what="the unfollowed author's rows gone")
    assert sorted(r["yubl_id"] for r in _rows(stayer)) == posted
    assert requests.put(url, headers=tokens[leaver], timeout=30).status_code == 204
    wait_for(
        lambda: _feed_ids(api, leaver, tokens) == posted[::-1],
        timeout=120,
        what="the author's posts backfilled on the new follow",
    )
