"""Playing the event sources for the app's own handlers, against the emulator.

The stream's records are read back and handed to ``distribute_yubl`` with their real
sequence numbers; what the dispatcher publishes to the feed topics (both lanes) and the
notifications topic reaches a test's own queues (filtered to its author) and is handed
to the topic's worker as SNS events, in the order a test chooses.
"""

from __future__ import annotations

import json
import os
from typing import Any

import boto3
from boto3.dynamodb.conditions import Key
from chalice.local import LambdaContext
from chalice.test import Client

from tests.aws_samples import kinesis_event, kinesis_record, sns_record

from .kinesis_reading import stream_records

__all__ = ["STREAM", "Flow", "feed_ids", "follow", "invoke", "rows"]

STREAM = "yubl-posted-local"

# (group, topic, worker): the feed group's two lanes and the notifications group
TAPPED = (
    ("feed", "feed-local", "add_to_feed"),
    ("feed", "feed-priority-local", "add_to_feed_priority"),
    ("notifications", "notifications-local", "notify_mentioned"),
)


def invoke(client: Client, function: str, event: dict) -> object:
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
        for group, topic_name, function in TAPPED:
            topic = sns.create_topic(Name=topic_name)["TopicArn"]
            url = self.sqs.create_queue(QueueName=f"tap-{function}-{unique}")["QueueUrl"]
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
        self.correlation_ids: dict[str, list[str]] = {}

    def dispatch(self, *partition_keys: str) -> int:
        """Every record of these keys not yet dispatched, to distribute_yubl, in order."""
        records = [
            kinesis_record(r["Data"], r["SequenceNumber"], r["PartitionKey"])
            for r in stream_records(STREAM)
            if r["PartitionKey"] in partition_keys and r["SequenceNumber"] not in self.dispatched
        ]
        if records:
            response = invoke(self.client, "distribute_yubl", kinesis_event(*records))
            assert response == {"batchItemFailures": []}
        self.dispatched |= {r["kinesis"]["sequenceNumber"] for r in records}
        return len(records)

    def pending(self) -> list[tuple[str, dict[str, Any]]]:
        """Every message the topics sent this test's queues since the last call, with the
        worker it is for, taken off the queues (each worker's in the order received)."""
        return [
            (function, message)
            for function, url in self.taps.items()
            for message in _drain(self.sqs, url)
        ]

    def run(self, messages: list[tuple[str, dict[str, Any]]]) -> None:
        """Each (worker, message) handed to its worker as an SNS event, in this order; the
        correlation id each carried is kept in ``correlation_ids``."""
        for function, message in messages:
            attributes = {
                name: {"Type": value["DataType"], "Value": value["StringValue"]}
                for name, value in message.get("MessageAttributes", {}).items()
            }
            ids = self.correlation_ids.setdefault(function, [])
            ids.append(attributes["x-correlation-id"]["Value"])
            event = {"Records": [sns_record(attributes, message["Body"])]}
            assert invoke(self.client, function, event) == {"batchItemFailures": []}

    def deliver(self) -> dict[str, int]:
        """Every pending message to its worker; how many each worker got."""
        self.correlation_ids = {}
        pending = self.pending()
        self.run(pending)
        return {function: sum(1 for f, _ in pending if f == function) for function in self.taps}


def _drain(sqs: Any, url: str) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    while got := sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    ).get("Messages", []):
        messages += got
        for message in got:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return messages


def rows(table_variable: str, user: str) -> list[dict[str, Any]]:
    """The user's rows in the table, read directly (a query, consistent)."""
    table = boto3.resource("dynamodb").Table(os.environ[table_variable])
    return table.query(KeyConditionExpression=Key("user_id").eq(user), ConsistentRead=True)["Items"]


def feed_ids(client: Client, user: str, headers: dict[str, str]) -> list[str]:
    """The yubl ids of the user's feed as the API shows it, newest first."""
    response = client.http.get(f"/users/{user}/feed?limit=100", headers=headers)
    assert response.status_code == 200
    return [item["yubl_id"] for item in json.loads(response.body)["items"]]


def follow(
    client: Client, author: str, follower: str, headers: dict[str, str], method: str = "put"
) -> None:
    response = getattr(client.http, method)(
        f"/users/{author}/followers/{follower}", headers=headers
    )
    assert response.status_code == 204
