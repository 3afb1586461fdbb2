"""The fan-out as Yubl first built it, kept for the benchmark's side-by-side run:
one SNS publish per follower, one Lambda invocation and one PutItem per feed entry.

Plain boto3 and no batching on purpose; it is a yardstick, not a pattern to copy.
Each written entry appends one JSON line to ``NAIVE_LOG_FILE`` with its time, so the
benchmark measures post-to-feed latency the same way as for the real pipeline.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from functools import cache
from typing import Any

import boto3
from chalice import Chalice
from chalice.app import KinesisEvent, SNSEvent

app = Chalice(app_name="yubl-naive")


@cache
def _client(service: str) -> Any:
    return boto3.session.Session().client(service)


@cache
def _topic_arn() -> str:
    return str(_client("sns").create_topic(Name=os.environ["NAIVE_TOPIC"])["TopicArn"])


def _followers(author_id: str) -> list[str]:
    found: list[str] = []
    kwargs: dict[str, Any] = {
        "TableName": os.environ["RELATIONSHIPS_TABLE"],
        "KeyConditionExpression": "user_id = :u",
        "ExpressionAttributeValues": {":u": {"S": author_id}},
    }
    while True:
        page = _client("dynamodb").query(**kwargs)
        found.extend(item["follower_id"]["S"] for item in page["Items"])
        if "LastEvaluatedKey" not in page:
            return found
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


@app.on_kinesis_record(
    stream=os.environ.get("NAIVE_STREAM", "naive-posted"),
    batch_size=100,
    starting_position="TRIM_HORIZON",
)
def naive_distribute(event: KinesisEvent) -> None:
    for record in event:
        yubl = json.loads(record.data)
        for follower in _followers(yubl["author_id"]):
            message = {**yubl, "follower_id": follower}
            _client("sns").publish(TopicArn=_topic_arn(), Message=json.dumps(message))


@app.on_sns_message(topic=os.environ.get("NAIVE_TOPIC", "naive-fanout"))
def naive_add_to_feed(event: SNSEvent) -> None:
    entry = json.loads(event.message)
    _client("dynamodb").put_item(
        TableName=os.environ["NAIVE_FEEDS_TABLE"],
        Item={
            "user_id": {"S": entry["follower_id"]},
            "yubl_id": {"S": entry["yubl_id"]},
            "author_id": {"S": entry["author_id"]},
            "text": {"S": entry["text"]},
            "posted_at": {"S": entry["posted_at"]},
        },
    )
    line = {
        "message": "naive feed entry written",
        "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "yubl_id": entry["yubl_id"],
        "followers": [entry["follower_id"]],
    }
    fd = os.open(os.environ["NAIVE_LOG_FILE"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (json.dumps(line) + "\n").encode())
    finally:
        os.close(fd)
