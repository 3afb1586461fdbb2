"""The feed's lifecycle events through the app's own handlers, against the emulator.

Requests go through Chalice's test client; the stream's records are read back and
handed to ``distribute_yubl`` with their real sequence numbers; what the dispatcher
publishes to the feed and notifications topics reaches this test's own queues (filtered
to its author) and is handed to ``add_to_feed`` and ``notify_mentioned`` as SNS events.
Feed rows are counted in the table itself, not through the API that hides deleted posts.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from boto3.dynamodb.conditions import Key
from chalice.local import LambdaContext
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
from tests.aws_samples import kinesis_event, kinesis_record, sns_record
from tests.chalice_app import load_app

from .kinesis_reading import stream_records

pytestmark = pytest.mark.emulator

STREAM = "yubl-posted-local"
BACKFILL = 20  # FEED_BACKFILL_POSTS of the local stage (its default)


@pytest.fixture(scope="module")
def client(stage_environment) -> Iterator[Client]:
    with Client(load_app(), stage_name="local", project_dir=str(PROJECT_DIR)) as test_client:
        yield test_client


def _invoke(client: Client, function: str, event: dict) -> object:
    """As Lambda would, with a minute to run (the test client's context gives 3 s, less
    than the feed writer's time margin)."""
    app = client.lambda_._app
    return app.handler_map[function](event, LambdaContext(function, 256, max_runtime_ms=60_000))


class Flow:
    """Plays the event sources for one test's users: stream -> dispatcher, topics -> workers."""

    def __init__(self, client: Client, author: str, unique: str) -> None:
        self.client = client
        self.dispatched: set[str] = set()
        sns, self.sqs = boto3.client("sns"), boto3.client("sqs")
        self.taps: dict[str, str] = {}
        for group, function in (("feed", "add_to_feed"), ("notifications", "notify_mentioned")):
            topic = sns.create_topic(Name=f"{group}-local")["TopicArn"]
            url = self.sqs.create_queue(QueueName=f"tap-{group}-{unique}")["QueueUrl"]
            arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
            sns.subscribe(
                TopicArn=topic,
                Protocol="sqs",
                Endpoint=arn["Attributes"]["QueueArn"],
                Attributes={
                    "RawMessageDelivery": "true",
                    "FilterPolicy": json.dumps({"author_id": [author], "group": [group]}),
                },
            )
            self.taps[function] = url

    def dispatch(self, *partition_keys: str) -> int:
        """Every record of these keys not yet dispatched, to distribute_yubl, in order."""
        records = [
            kinesis_record(r["Data"], r["SequenceNumber"], r["PartitionKey"])
            for r in stream_records(STREAM)
            if r["PartitionKey"] in partition_keys and r["SequenceNumber"] not in self.dispatched
        ]
        if records:
            response = _invoke(self.client, "distribute_yubl", kinesis_event(*records))
            assert response == {"batchItemFailures": []}
        self.dispatched |= {r["kinesis"]["sequenceNumber"] for r in records}
        return len(records)

    def deliver(self) -> dict[str, int]:
        """Every message the topics sent this test's queues, to the group's worker; the
        correlation id each carried is kept in ``correlation_ids``."""
        delivered = {}
        self.correlation_ids: dict[str, list[str]] = {}
        for function, url in self.taps.items():
            messages = _drain(self.sqs, url)
            for message in messages:
                attributes = {
                    name: {"Type": value["DataType"], "Value": value["StringValue"]}
                    for name, value in message.get("MessageAttributes", {}).items()
                }
                ids = self.correlation_ids.setdefault(function, [])
                ids.append(attributes["x-correlation-id"]["Value"])
                event = {"Records": [sns_record(attributes, message["Body"])]}
                assert _invoke(self.client, function, event) == {"batchItemFailures": []}
            delivered[function] = len(messages)
        return delivered


def _drain(sqs, url: str) -> list[dict]:
    messages: list[dict] = []
    while got := sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    ).get("Messages", []):
        messages += got
        for message in got:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return messages


def _rows(table_variable: str, user: str) -> list[dict]:
    """The user's rows in the table, read directly (a query, consistent)."""
    table = boto3.resource("dynamodb").Table(os.environ[table_variable])
    return table.query(KeyConditionExpression=Key("user_id").eq(user), ConsistentRead=True)["Items"]


def _feed(client: Client, user: str, headers: dict) -> list[str]:
    response = client.http.get(f"/users/{user}/feed?limit=100", headers=headers)
    assert response.status_code == 200
    return [item["yubl_id"] for item in json.loads(response.body)["items"]]


def _follow(client: Client, author: str, follower: str, headers: dict, method: str = "put"):
    response = getattr(client.http, method)(
        f"/users/{author}/followers/{follower}", headers=headers
    )
    assert response.status_code == 204


def test_follow_and_unfollow_are_announced_keyed_by_the_follower_with_correlation_ids(
    client, unique, signed_in, account
):
    author, follower = account(f"{unique}-a"), f"{unique}-f"
    _follow(client, author, follower, {**signed_in(follower), "x-correlation-id": f"f-{unique}"})
    _follow(
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


def test_a_bad_follow_is_400_and_announces_nothing(client, unique, signed_in):
    follower = f"{unique}-f"
    before = len(stream_records(STREAM))
    response = client.http.put(f"/users/bad%20id/followers/{follower}", headers=signed_in(follower))
    assert response.status_code == 400
    assert json.loads(response.body)["error"].startswith("user_id: ")
    assert len(stream_records(STREAM)) == before


def test_a_deleted_post_leaves_the_api_at_once_and_every_feed_row_within_the_flow(
    client, unique, signed_in, account
):
    author, mentioned = account(f"{unique}-a"), f"{unique}-m"
    followers = [f"{unique}-f{i}" for i in range(3)]
    flow = Flow(client, author, unique)
    for follower in followers:
        _follow(client, author, follower, signed_in(follower))
    signed_in(mentioned)  # the mentioned user exists in the pool
    response = client.http.post(
        "/yubls",
        headers={**signed_in(author), "Content-Type": "application/json"},
        body=json.dumps({"text": f"soon gone, @{mentioned}"}),
    )
    yubl_id = json.loads(response.body)["yubl_id"]
    assert flow.dispatch(author, *followers) == 4  # three follows, one post
    assert flow.deliver() == {"add_to_feed": 1, "notify_mentioned": 1}
    assert [len(_rows("FEEDS_TABLE", f)) for f in followers] == [1, 1, 1]
    assert [r["yubl_id"] for r in _rows("NOTIFICATIONS_TABLE", mentioned)] == [yubl_id]
    assert _feed(client, followers[0], signed_in(followers[0])) == [yubl_id]

    # WHEN the author deletes it and the dispatcher reads the delete
    deleted = client.http.delete(
        f"/users/{author}/yubls/{yubl_id}",
        headers={**signed_in(author), "x-correlation-id": f"delete-{unique}"},
    )
    assert deleted.status_code == 202
    assert flow.dispatch(author) == 1
    # THEN no read shows it at once, though every row is still there
    assert [_feed(client, f, signed_in(f)) for f in followers] == [[], [], []]
    assert [len(_rows("FEEDS_TABLE", f)) for f in followers] == [1, 1, 1]
    # AND once the groups' workers have run, no row is left
    assert flow.deliver() == {"add_to_feed": 1, "notify_mentioned": 1}
    assert flow.correlation_ids == {
        "add_to_feed": [f"delete-{unique}"],
        "notify_mentioned": [f"delete-{unique}"],
    }
    assert [_rows("FEEDS_TABLE", f) for f in followers] == [[], [], []]
    assert _rows("NOTIFICATIONS_TABLE", mentioned) == []


def test_a_delete_read_before_its_post_never_shows_it_nor_leaves_a_row(
    client, unique, signed_in, account
):
    author, follower = account(f"{unique}-a"), f"{unique}-f"
    flow = Flow(client, author, unique)
    _follow(client, author, follower, signed_in(follower))
    yubl = new_yubl(author, "never seen", now=datetime.now(UTC))
    events = wiring.posting_service()._events  # the API's own publisher, records in this order
    events.publish(
        yubl_deleted_event(yubl_deleted(author, yubl.yubl_id, datetime.now(UTC))), author
    )
    events.publish(yubl_posted_event(yubl), author)
    assert flow.dispatch(author, follower) == 3
    assert flow.deliver() == {"add_to_feed": 1, "notify_mentioned": 1}  # the delete's only
    assert _rows("FEEDS_TABLE", follower) == []
    assert _feed(client, follower, signed_in(follower)) == []


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


def test_a_follow_backfills_exactly_the_newest_posts_once(client, unique, signed_in, account):
    author, follower = account(f"{unique}-a"), f"{unique}-f"
    flow = Flow(client, author, unique)
    yubls = _stored_posts(author, BACKFILL + 3)
    newest = yubls[-1]
    DynamoPostStore(bind_post_model(os.environ["POSTS_TABLE"])).tombstone(
        author, newest.yubl_id, newest.posted_at
    )
    expected = sorted(y.yubl_id for y in yubls[2:-1])  # the newest 20 not deleted
    _follow(client, author, follower, signed_in(follower))
    assert flow.dispatch(follower) == 1
    assert sorted(r["yubl_id"] for r in _rows("FEEDS_TABLE", follower)) == expected
    # WHEN the follower follows again (the relationship is already there)
    _follow(client, author, follower, signed_in(follower))
    assert flow.dispatch(follower) == 1
    # THEN the feed holds the same rows, each once
    assert sorted(r["yubl_id"] for r in _rows("FEEDS_TABLE", follower)) == expected
    assert _feed(client, follower, signed_in(follower)) == expected[::-1]


def test_an_unfollow_removes_exactly_that_authors_entries(client, unique, signed_in, account):
    alice, bob = account(f"{unique}-alice"), account(f"{unique}-bob")
    zoe, yan = f"{unique}-zoe", f"{unique}-yan"
    flow = Flow(client, alice, unique)
    posts = {author: _stored_posts(author, 2) for author in (alice, bob)}
    for author, follower in ((alice, zoe), (bob, zoe), (alice, yan)):
        _follow(client, author, follower, signed_in(follower))
    assert flow.dispatch(zoe, yan) == 3
    assert len(_rows("FEEDS_TABLE", zoe)) == 4
    # WHEN alice removes zoe as a follower (the followed side ends it)
    _follow(client, alice, zoe, signed_in(alice), method="delete")
    assert flow.dispatch(zoe) == 1
    # THEN zoe keeps bob's posts only, and yan, who still follows alice, keeps hers
    assert sorted(r["yubl_id"] for r in _rows("FEEDS_TABLE", zoe)) == sorted(
        y.yubl_id for y in posts[bob]
    )
    assert sorted(r["yubl_id"] for r in _rows("FEEDS_TABLE", yan)) == sorted(
        y.yubl_id for y in posts[alice]
    )


def test_a_follow_and_its_unfollow_read_in_order_leave_no_entries(
    client, unique, signed_in, account
):
    author, follower = account(f"{unique}-a"), f"{unique}-f"
    flow = Flow(client, author, unique)
    _stored_posts(author, 3)
    _follow(client, author, follower, signed_in(follower))
    _follow(client, author, follower, signed_in(follower), method="delete")
    assert flow.dispatch(follower) == 2
    assert _rows("FEEDS_TABLE", follower) == []


# -- the stores' new calls, on the emulator ---------------------------------------------


@pytest.mark.usefixtures("stage_environment")
def test_feed_entries_are_removed_in_batches_and_absent_keys_are_no_error(unique):

    store = DynamoFeedStore(bind_feed_model(os.environ["FEEDS_TABLE"]))
    yubl = new_yubl(f"{unique}-a", "x", now=datetime.now(UTC))
    readers = [f"{unique}-r{i:02d}" for i in range(60)]  # three BatchWriteItem calls
    store.put_entries(entries_for(yubl, readers))
    store.remove_entries([(r, yubl.yubl_id) for r in readers[:55]] + [(f"{unique}-x", "y")])
    assert [r for r in readers if _rows("FEEDS_TABLE", r)] == readers[55:]


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
