"""kill -9 of the event runtime in the middle of an account deletion, then a restart: the
deletion resumes under its event id and ends exactly as one never interrupted.

The account's rows are seeded straight into the tables and the deletion starts as the
API starts it (the row marked deleted, ``user-deleted`` on the stream); everything after
is the runtime's: the dispatcher, the deletion worker, the feed workers.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from chalicelib.domain.accounts import UserDeleted, user_deleted_event
from chalicelib.domain.posts import iso_millis
from devstack.infra import TEMPLATE_PATH
from devstack.subscriptions import template_subscriptions

from .pipeline import DEAD_LETTERS, FEEDS, RETRY_QUEUE, Pipeline, quick_timeout_project

USER = "leaver"
STARS = ("star-0", "star-1")  # whom they follow; each has one more follower, "other"


def _project(where: Path, erase_delay: int) -> Path:
    """The project with short add_to_feed timeouts (a killed delivery comes back soon)
    and ``erase_delay`` seconds between a deletion's phases."""
    project = quick_timeout_project(where, timeout_seconds=5, margin_ms=1000)
    path = project / ".chalice" / "config.json"
    config = json.loads(path.read_text())
    config["stages"]["local"]["environment_variables"]["ACCOUNT_ERASE_DELAY_SECONDS"] = str(
        erase_delay
    )
    path.write_text(json.dumps(config))
    return project


def _subscribe_accounts_queue(pipeline: Pipeline) -> None:
    """The template's accounts subscription (the pipeline makes none of the template's:
    its emulator's CloudFormation skips them), as the local stack makes it."""
    properties = template_subscriptions(TEMPLATE_PATH)["AccountsSubscription"]
    sns, sqs = pipeline.client("sns"), pipeline.client("sqs")
    url = sqs.get_queue_url(QueueName="yubl-accounts-local")["QueueUrl"]
    queue = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    sns.subscribe(
        TopicArn=sns.create_topic(Name="accounts-local")["TopicArn"],
        Protocol="sqs",
        Endpoint=queue["QueueArn"],
        Attributes={
            "RawMessageDelivery": "true",
            "FilterPolicy": json.dumps(properties["FilterPolicy"]),
        },
    )


def _put_all(pipeline: Pipeline, table: str, items: list[dict[str, Any]]) -> None:
    dynamodb = pipeline.client("dynamodb")
    for start in range(0, len(items), 25):
        pending = {table: [{"PutRequest": {"Item": i}} for i in items[start : start + 25]]}
        while pending:
            pending = dynamodb.batch_write_item(RequestItems=pending)["UnprocessedItems"]


def _seed(pipeline: Pipeline, followers: list[str], posts: int) -> None:
    """The account, its followers and follows, and its posts fanned out to every feed."""
    _subscribe_accounts_queue(pipeline)
    now = iso_millis(datetime.now(UTC))
    users = [USER, *STARS, "other", *followers]
    rows = [
        {"user_id": {"S": u}, "created_at": {"S": now}, "status": {"S": "active"}} for u in users
    ]
    _put_all(pipeline, "users-local", rows)
    pipeline.follow(USER, followers)
    for star in STARS:
        pipeline.follow(star, [USER, "other"])
    dynamodb = pipeline.client("dynamodb")
    for author, count in ((USER, len(followers)), (STARS[0], 2), (STARS[1], 2)):
        dynamodb.put_item(
            TableName="authors-local",
            Item={"author_id": {"S": author}, "followers": {"N": str(count)}},
        )
    pipeline.post([(USER, f"post {n}") for n in range(posts)])
    _wait(lambda: _feed_entries_of(pipeline) == posts * len(followers), 300, "the fan-out")


def _feed_entries_of(pipeline: Pipeline) -> int:
    return sum(item["author_id"]["S"] == USER for item in _scan(pipeline, FEEDS))


def _scan(pipeline: Pipeline, table: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for page in (
        pipeline.client("dynamodb")
        .get_paginator("scan")
        .paginate(TableName=table, ConsistentRead=True)
    ):
        items += page["Items"]
    return items


def _wait(condition, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.25)
    return value


def _delete(pipeline: Pipeline) -> None:
    """What DELETE /users/leaver does, but the pool: the row marked, the event published."""
    deleted_at = iso_millis(datetime.now(UTC))
    pipeline.client("dynamodb").update_item(
        TableName="users-local",
        Key={"user_id": {"S": USER}},
        UpdateExpression="SET #s = :d, deleted_at = :t",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":d": {"S": "deleted"}, ":t": {"S": deleted_at}},
    )
    event = {
        **user_deleted_event(UserDeleted(USER, deleted_at)),
        "__context__": {"x-correlation-id": "delete-leaver"},
    }
    pipeline.client("kinesis").put_record(
        StreamName="yubl-posted-local", Data=json.dumps(event).encode(), PartitionKey=USER
    )


def _progress(pipeline: Pipeline, key: str) -> str | None:
    item = (
        pipeline.client("dynamodb")
        .get_item(
            TableName="fanout-progress-local",
            Key={"yubl_id": {"S": f"user-deleted:{USER}"}, "group": {"S": key}},
            ConsistentRead=True,
        )
        .get("Item")
    )
    return None if item is None else item["last_follower"]["S"]


def _erased(pipeline: Pipeline) -> bool:
    item = pipeline.client("dynamodb").get_item(
        TableName="users-local", Key={"user_id": {"S": USER}}, ConsistentRead=True
    )["Item"]
    return "erased_at" in item


def _assert_nothing_left(pipeline: Pipeline) -> None:
    _wait(lambda: _erased(pipeline), 300, "the erasure")
    _wait(lambda: _feed_entries_of(pipeline) == 0, 120, "no feed entry of the user's posts")
    relationships = [
        (i["user_id"]["S"], i["follower_id"]["S"]) for i in _scan(pipeline, "relationships-local")
    ]
    assert [pair for pair in relationships if USER in pair] == []
    counts = {
        i["author_id"]["S"]: int(i["followers"]["N"]) for i in _scan(pipeline, "authors-local")
    }
    assert counts == {STARS[0]: 1, STARS[1]: 1}  # theirs gone with them
    posts = [i for i in _scan(pipeline, "posts-local") if i["author_id"]["S"] == USER]
    assert [p for p in posts if "text" in p or "deleted_at" not in p] == []
    assert pipeline.queue_depth(DEAD_LETTERS) == 0, pipeline.dead_letter_reasons()
    _wait(lambda: pipeline.queue_depth(RETRY_QUEUE) == 0, 60, "an empty retry queue")


@pytest.mark.reliability
@pytest.mark.full  # about a minute on 2 shared cores: a pipeline of its own, a restart, waits
@pytest.mark.timeout(900)
def test_a_deletion_killed_between_its_phases_resumes_to_the_same_end(start_pipeline, tmp_path):
    pipeline = start_pipeline(project_dir=_project(tmp_path / "project", erase_delay=8))
    _seed(pipeline, [f"fan-{n:03d}" for n in range(100)], posts=5)
    _delete(pipeline)
    # WHEN the runtime is killed once the posts are done, while the rest waits its turn
    _wait(lambda: _progress(pipeline, "account#posts-done-at"), 120, "the end of the posts")
    _wait(lambda: _feed_entries_of(pipeline) == 0, 120, "the posts' feed removals")
    assert not _erased(pipeline)
    pipeline.restart_runtime()
    print("[reliability] runtime killed (-9) and restarted between the deletion's phases")
    # THEN the delayed message it sent itself survives and the deletion ends cleanly
    _assert_nothing_left(pipeline)


@pytest.mark.reliability
@pytest.mark.full
@pytest.mark.timeout(1800)
def test_a_deletion_killed_in_the_middle_of_its_posts_resumes_to_the_same_end(
    start_pipeline, tmp_path
):
    pipeline = start_pipeline(project_dir=_project(tmp_path / "project", erase_delay=3))
    _seed(pipeline, [f"fan-{n:04d}" for n in range(1000)], posts=30)
    _delete(pipeline)
    # WHEN the runtime is killed once some posts' deletes are fanned out, not all
    cursor = _wait(
        lambda: (c := _progress(pipeline, "account#posts")) and c != "~" and c,
        300,
        "the first post deleted",
    )
    pipeline.restart_runtime()
    print(f"[reliability] runtime killed (-9) and restarted after post {cursor}", flush=True)
    _assert_nothing_left(pipeline)
