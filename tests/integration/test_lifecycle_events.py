"""The feed's lifecycle events through the app's own handlers, against the emulator.

Requests go through Chalice's test client; the event sources are played by ``Flow``
(``app_flow``): the stream's records to ``distribute_yubl``, what the feed topics (both
lanes) and the notifications topic publish to the workers as SNS events.
Feed rows are counted in the table itself, not through the API that hides deleted posts.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from chalice.test import Client

from chalicelib import wiring
from chalicelib.adapters.dynamodb_models import (
    bind_feed_model,
    bind_post_model,
    bind_relationship_model,
)
from chalicelib.adapters.dynamodb_stores import (
    DynamoFeedStore,
    DynamoFollowerStore,
    DynamoPostStore,
)
from chalicelib.domain.deletes import yubl_deleted, yubl_deleted_event
from chalicelib.domain.feed import FeedEntry, FeedRef, entries_for
from chalicelib.domain.posts import new_yubl, yubl_posted_event
from devstack.stack import PROJECT_DIR
from tests.chalice_app import load_app

from .app_flow import STREAM, Flow, feed_ids, follow, rows
from .kinesis_reading import stream_records

pytestmark = pytest.mark.emulator

BACKFILL = 20  # FEED_BACKFILL_POSTS of the local stage (its default)


@pytest.fixture(scope="module")
def client(stage_environment) -> Iterator[Client]:
    with Client(load_app(), stage_name="local", project_dir=str(PROJECT_DIR)) as test_client:
        yield test_client


def _ids(client: Client, path: str, headers: dict) -> list[str]:
    response = client.http.get(path, headers=headers)
    assert response.status_code == 200
    return [item["yubl_id"] for item in json.loads(response.body)["items"]]


def test_follow_and_unfollow_are_announced_keyed_by_the_follower_with_correlation_ids(
    client, unique, signed_in, account
):
    author, follower = account(f"{unique}-a"), f"{unique}-f"
    follow(client, author, follower, {**signed_in(follower), "x-correlation-id": f"f-{unique}"})
    follow(
        client, author, follower, {**signed_in(author), "x-correlation-id": f"u-{unique}"}, "delete"
    )
    events = [
        json.loads(r["Data"]) for r in stream_records(STREAM) if r["PartitionKey"] == follower
    ]
    assert [
        (e["type"], e["relationship"]["user_id"], e["relationship"]["follower_id"]) for e in events
    ] == [
        ("user-followed", author, follower),
        ("user-unfollowed", author, follower),
    ]
    assert [e["__context__"]["x-correlation-id"] for e in events] == [f"f-{unique}", f"u-{unique}"]


def test_a_bad_follow_is_400_and_writes_nothing(client, unique, signed_in, written):
    follower = f"{unique}-f"
    headers = signed_in(follower)
    before = written.snapshot()
    response = client.http.put(f"/users/bad%20id/followers/{follower}", headers=headers)
    assert response.status_code == 400
    assert json.loads(response.body)["error"].startswith("user_id: ")
    assert written.changed(before) == []


def test_a_deleted_post_leaves_the_api_at_once_and_every_feed_row_within_the_flow(
    client, unique, signed_in, account
):
    author, mentioned = account(f"{unique}-a"), f"{unique}-m"
    followers = [f"{unique}-f{i}" for i in range(3)]
    flow = Flow(client, author, unique)
    for follower in followers:
        follow(client, author, follower, signed_in(follower))
    signed_in(mentioned)  # the mentioned user exists in the pool
    response = client.http.post(
        "/yubls",
        headers={**signed_in(author), "Content-Type": "application/json"},
        body=json.dumps({"text": f"soon gone, @{mentioned}"}),
    )
    yubl_id = json.loads(response.body)["yubl_id"]
    assert flow.dispatch(author, *followers) == 4  # three follows, one post
    assert flow.deliver() == {"add_to_feed": 0, "add_to_feed_priority": 1, "notify_mentioned": 1}
    assert [len(rows("FEEDS_TABLE", f)) for f in followers] == [1, 1, 1]
    assert [r["yubl_id"] for r in rows("NOTIFICATIONS_TABLE", mentioned)] == [yubl_id]
    assert feed_ids(client, followers[0], signed_in(followers[0])) == [yubl_id]

    # WHEN the author deletes it
    deleted = client.http.delete(
        f"/users/{author}/yubls/{yubl_id}",
        headers={**signed_in(author), "x-correlation-id": f"delete-{unique}"},
    )
    assert deleted.status_code == 202
    # THEN no read shows it from the answer on, before the dispatcher has read the
    # delete, though every row is still there
    assert [feed_ids(client, f, signed_in(f)) for f in followers] == [[], [], []]
    assert _ids(client, f"/users/{mentioned}/notifications", signed_in(mentioned)) == []
    assert _ids(client, f"/users/{author}/yubls", {}) == []
    assert [len(rows("FEEDS_TABLE", f)) for f in followers] == [1, 1, 1]
    assert len(rows("NOTIFICATIONS_TABLE", mentioned)) == 1
    # AND once the dispatcher and the groups' workers have run, no row is left
    assert flow.dispatch(author) == 1
    assert flow.deliver() == {"add_to_feed": 0, "add_to_feed_priority": 1, "notify_mentioned": 1}
    assert flow.correlation_ids == {
        "add_to_feed_priority": [f"delete-{unique}"],
        "notify_mentioned": [f"delete-{unique}"],
    }
    assert [rows("FEEDS_TABLE", f) for f in followers] == [[], [], []]
    assert rows("NOTIFICATIONS_TABLE", mentioned) == []


def test_a_delete_read_before_its_post_never_shows_it_nor_leaves_a_row(
    client, unique, signed_in, account
):
    author, follower = account(f"{unique}-a"), f"{unique}-f"
    flow = Flow(client, author, unique)
    follow(client, author, follower, signed_in(follower))
    yubl = new_yubl(author, "never seen", now=datetime.now(UTC))
    events = wiring.posting_service()._events  # the API's own publisher, records in this order
    events.publish(
        yubl_deleted_event(yubl_deleted(author, yubl.yubl_id, datetime.now(UTC))), author
    )
    events.publish(yubl_posted_event(yubl), author)
    assert flow.dispatch(author, follower) == 3
    # the delete's only
    assert flow.deliver() == {"add_to_feed": 0, "add_to_feed_priority": 1, "notify_mentioned": 1}
    assert rows("FEEDS_TABLE", follower) == []
    assert feed_ids(client, follower, signed_in(follower)) == []


def test_a_second_delete_answers_the_same_and_changes_nothing(client, unique, signed_in):
    author = f"{unique}-a"
    yubl = _stored_posts(author, 1)[0]
    path, headers = f"/users/{author}/yubls/{yubl.yubl_id}", signed_in(author)
    first = client.http.delete(path, headers=headers)
    stored = _post_row(author, yubl.yubl_id)
    # WHEN the author sends the delete again (a retry, a double click)
    again = client.http.delete(path, headers=headers)
    # THEN the same answer, the post's row untouched, and the same event on the stream
    assert (again.status_code, json.loads(again.body)) == (202, json.loads(first.body))
    assert json.loads(first.body)["deleted_at"] == stored["deleted_at"]
    assert _post_row(author, yubl.yubl_id) == stored
    events = [json.loads(r["Data"]) for r in stream_records(STREAM) if r["PartitionKey"] == author]
    assert [{k: v for k, v in e.items() if k != "__context__"} for e in events] == [
        {"type": "yubl-deleted", "yubl": {**json.loads(first.body), "author_id": author}}
    ] * 2


def test_an_api_delete_before_the_dispatcher_stored_the_post_keeps_it_out(
    client, unique, signed_in, account
):
    author, follower = account(f"{unique}-a"), f"{unique}-f"
    flow = Flow(client, author, unique)
    follow(client, author, follower, signed_in(follower))
    # GIVEN a post on the stream, not yet read by the dispatcher
    posted = client.http.post(
        "/yubls",
        headers={**signed_in(author), "Content-Type": "application/json"},
        body=json.dumps({"text": "gone before it arrived"}),
    )
    yubl_id = json.loads(posted.body)["yubl_id"]
    # WHEN the author deletes it, then the dispatcher reads the follow, the post, the delete
    deleted = client.http.delete(f"/users/{author}/yubls/{yubl_id}", headers=signed_in(author))
    assert deleted.status_code == 202
    assert flow.dispatch(author, follower) == 3
    # THEN only the delete reached the groups: the post was neither stored nor fanned out
    assert flow.deliver() == {"add_to_feed": 0, "add_to_feed_priority": 1, "notify_mentioned": 1}
    assert rows("FEEDS_TABLE", follower) == []
    assert feed_ids(client, follower, signed_in(follower)) == []
    assert _post_row(author, yubl_id) == {
        "author_id": author,
        "yubl_id": yubl_id,
        "deleted_at": json.loads(deleted.body)["deleted_at"],
        "mentions": [],
    }


def _post_row(author: str, yubl_id: str) -> dict:
    table = boto3.resource("dynamodb").Table(os.environ["POSTS_TABLE"])
    key = {"author_id": author, "yubl_id": yubl_id}
    return dict(table.get_item(Key=key, ConsistentRead=True)["Item"])


def _stored_posts(author: str, count: int) -> list:
    """``count`` posts of ``author`` in the posts table (as the dispatcher stores them),
    oldest first, a second apart."""
    posts = DynamoPostStore(bind_post_model(os.environ["POSTS_TABLE"]))
    now = datetime.now(UTC)
    yubls = [
        new_yubl(author, f"#{i}", now=now - timedelta(seconds=count - i)) for i in range(count)
    ]
    for yubl in yubls:
        posts.put(yubl)
    return yubls


def test_a_follow_backfills_exactly_the_newest_posts_and_a_repeat_overwrites_them(
    client, unique, signed_in, account
):
    """Feed writes counted on the wire, per (follower, yubl), by a hook on the feed
    store's own client: a repeat shows there, while the table's key keeps one row."""
    author, follower = account(f"{unique}-a"), f"{unique}-f"
    flow = Flow(client, author, unique)
    yubls = _stored_posts(author, BACKFILL + 3)
    newest = yubls[-1]
    DynamoPostStore(bind_post_model(os.environ["POSTS_TABLE"])).tombstone(
        author, newest.yubl_id, newest.posted_at
    )
    expected = sorted(y.yubl_id for y in yubls[2:-1])  # the newest 20 not deleted
    with _feed_writes() as writes:
        follow(client, author, follower, signed_in(follower))
        assert flow.dispatch(follower) == 1
    assert writes == Counter({(follower, y): 1 for y in expected})
    assert sorted(r["yubl_id"] for r in rows("FEEDS_TABLE", follower)) == expected
    # WHEN the follower follows again (the relationship is already there)
    with _feed_writes() as writes:
        follow(client, author, follower, signed_in(follower))
        assert flow.dispatch(follower) == 1
    # THEN the same entries are written again, and the feed holds each once
    assert writes == Counter({(follower, y): 1 for y in expected})
    assert sorted(r["yubl_id"] for r in rows("FEEDS_TABLE", follower)) == expected
    assert feed_ids(client, follower, signed_in(follower)) == expected[::-1]


@contextmanager
def _feed_writes() -> Iterator[Counter[tuple[str, str]]]:
    """Every feed entry the app's feed store puts inside the block, per (user, yubl)."""
    writes: Counter[tuple[str, str]] = Counter()

    def count(params: dict, **_: object) -> None:
        for request in params.get("RequestItems", {}).get(os.environ["FEEDS_TABLE"], []):
            if "PutRequest" in request:
                item = request["PutRequest"]["Item"]
                writes[(item["user_id"]["S"], item["yubl_id"]["S"])] += 1

    client = wiring._feed_model()._get_connection().connection.client
    client.meta.events.register("before-parameter-build.dynamodb.BatchWriteItem", count)
    try:
        yield writes
    finally:
        client.meta.events.unregister("before-parameter-build.dynamodb.BatchWriteItem", count)


def test_an_unfollow_removes_exactly_that_authors_entries(client, unique, signed_in, account):
    alice, bob = account(f"{unique}-alice"), account(f"{unique}-bob")
    zoe, yan = f"{unique}-zoe", f"{unique}-yan"
    flow = Flow(client, alice, unique)
    posts = {author: _stored_posts(author, 2) for author in (alice, bob)}
    for author, follower in ((alice, zoe), (bob, zoe), (alice, yan)):
        follow(client, author, follower, signed_in(follower))
    assert flow.dispatch(zoe, yan) == 3
    assert len(rows("FEEDS_TABLE", zoe)) == 4
    # WHEN alice removes zoe as a follower (the followed side ends it)
    follow(client, alice, zoe, signed_in(alice), method="delete")
    assert flow.dispatch(zoe) == 1
    # THEN zoe keeps bob's posts only, and yan, who still follows alice, keeps hers
    assert sorted(r["yubl_id"] for r in rows("FEEDS_TABLE", zoe)) == sorted(
        y.yubl_id for y in posts[bob]
    )
    assert sorted(r["yubl_id"] for r in rows("FEEDS_TABLE", yan)) == sorted(
        y.yubl_id for y in posts[alice]
    )


def test_a_follow_and_its_unfollow_read_in_order_leave_no_entries(
    client, unique, signed_in, account
):
    author, follower = account(f"{unique}-a"), f"{unique}-f"
    flow = Flow(client, author, unique)
    _stored_posts(author, 3)
    follow(client, author, follower, signed_in(follower))
    follow(client, author, follower, signed_in(follower), method="delete")
    assert flow.dispatch(follower) == 2
    assert rows("FEEDS_TABLE", follower) == []


# -- the stores' new calls, on the emulator ---------------------------------------------


@pytest.mark.usefixtures("stage_environment")
def test_feed_entries_are_removed_in_batches_and_absent_keys_are_no_error(unique):

    store = DynamoFeedStore(bind_feed_model(os.environ["FEEDS_TABLE"]))
    yubl = new_yubl(f"{unique}-a", "x", now=datetime.now(UTC))
    readers = [f"{unique}-r{i:02d}" for i in range(60)]  # three BatchWriteItem calls
    store.put_entries(entries_for(yubl, readers))
    store.remove_entries([(r, yubl.yubl_id) for r in readers[:55]] + [(f"{unique}-x", "y")])
    assert [r for r in readers if rows("FEEDS_TABLE", r)] == readers[55:]


@pytest.mark.usefixtures("stage_environment")
def test_a_feeds_references_by_one_author_are_all_read(unique):

    store = DynamoFeedStore(bind_feed_model(os.environ["FEEDS_TABLE"]))
    reader, now = f"{unique}-r", datetime.now(UTC)
    # 300 entries of two authors, interleaved: the filter keeps one author's 150
    yubls = [
        new_yubl(f"{unique}-{'ab'[i % 2]}", "x", now=now - timedelta(seconds=i)) for i in range(300)
    ]
    store.put_entries([FeedEntry(reader, y) for y in yubls])
    refs = store.refs_by_author(reader, f"{unique}-a")
    assert sorted(refs, key=lambda r: r.yubl_id) == sorted(
        (FeedRef(reader, y.yubl_id, y.author_id, y.posted_at) for y in yubls[::2]),
        key=lambda r: r.yubl_id,
    )


@pytest.mark.usefixtures("stage_environment")
def test_a_tombstone_keeps_the_first_mentions_and_a_repeat_returns_them(unique):
    posts = DynamoPostStore(bind_post_model(os.environ["POSTS_TABLE"]))
    yubl = new_yubl(f"{unique}-a", "hi @bob", now=datetime.now(UTC))
    posts.put(yubl)
    at = "2026-11-23T00:00:00.000Z"
    assert posts.is_deleted(yubl.author_id, yubl.yubl_id) is False
    assert posts.tombstone(yubl.author_id, yubl.yubl_id, at, ["bob"]) == ["bob"]
    assert posts.is_deleted(yubl.author_id, yubl.yubl_id) is True
    assert posts.tombstone(yubl.author_id, yubl.yubl_id, at, []) == ["bob"]
    assert posts.live([(yubl.author_id, yubl.yubl_id)]) == {}
    unseen = new_yubl(f"{unique}-a", "never stored", now=datetime.now(UTC))
    assert posts.is_deleted(unseen.author_id, unseen.yubl_id) is False
    assert posts.tombstone(unseen.author_id, unseen.yubl_id, at) == []
    assert posts.is_deleted(unseen.author_id, unseen.yubl_id) is True


@pytest.mark.usefixtures("stage_environment")
def test_follows_reads_the_relationship_as_it_is_now(unique):

    store = DynamoFollowerStore(bind_relationship_model(os.environ["RELATIONSHIPS_TABLE"]))
    user, follower = f"{unique}-u", f"{unique}-f"
    assert store.follows(user, follower) is False
    store.add(user, follower)
    assert (store.follows(user, follower), store.follows(follower, user)) == (True, False)
    store.remove(user, follower)
    assert store.follows(user, follower) is False
