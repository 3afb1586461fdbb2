"""add_to_feed's time budget on the emulator: real feed writes, a real retry queue."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import boto3
import pytest

from chalicelib.adapters.dynamodb_models import bind_feed_model, bind_post_model
from chalicelib.adapters.dynamodb_stores import DynamoFeedStore, DynamoPostStore
from chalicelib.adapters.sqs_failure_sink import SqsFailureSink
from chalicelib.domain.fanout import encode_group
from chalicelib.domain.posts import new_yubl
from chalicelib.events.feed_writer import feed_writer
from chalicelib.services.feeds import FeedService
from chalicelib.streams.policies import halt, retry_then_park
from chalicelib.streams.processor import StreamProcessor
from chalicelib.streams.retry import rerun_parked
from tests.aws_samples import sns_event, sqs_record
from tests.lambda_context import ShrinkingContext

pytestmark = pytest.mark.emulator


def test_a_worker_out_of_time_parks_the_rest_in_the_retry_queue_and_loses_nothing(
    stack_outputs, unique
):
    sqs = boto3.client("sqs")
    retry_url = sqs.create_queue(QueueName=f"retry-{unique}")["QueueUrl"]
    dead_url = sqs.create_queue(QueueName=f"dead-{unique}")["QueueUrl"]
    posts = DynamoPostStore(bind_post_model(stack_outputs["PostsTableName"]))
    feeds = FeedService(DynamoFeedStore(bind_feed_model(stack_outputs["FeedsTableName"])), posts)
    sink = SqsFailureSink(sqs, f"retry-{unique}", f"dead-{unique}")
    worker = StreamProcessor(
        f"add_to_feed_{unique}",
        feed_writer(lambda: feeds, margin_ms=lambda: 10_000),
        retry_then_park(attempts=3),
        sink=lambda: sink,
    )
    yubl = new_yubl(f"a-{unique}", "budget", now=datetime.now(UTC))
    followers = [f"{unique}-{i:03d}" for i in range(60)]
    [message] = encode_group(yubl, followers)
    posts.put(yubl)  # as the dispatcher does before the fan-out

    # GIVEN 11 s left, a second less at each check, a 10 s margin: two chunks of 25
    worker.process(sns_event({}, message), ShrinkingContext(11_000, 1_000))

    def feed_holds(follower: str) -> bool:
        return [e.yubl.yubl_id for e in feeds.read(follower, 10, None).items] == [yubl.yubl_id]

    # THEN 50 feeds hold the post, and the retry queue holds the other 10 followers
    assert [f for f in followers if feed_holds(f)] == followers[:50]
    got = sqs.receive_message(QueueUrl=retry_url, MaxNumberOfMessages=10, WaitTimeSeconds=2)
    [parked] = got["Messages"]
    failed = json.loads(parked["Body"])
    assert failed["payload"]["followers"] == followers[50:]
    assert (failed["handler"], failed["error"]["type"]) == (f"add_to_feed_{unique}", "Unfinished")
    assert "Messages" not in sqs.receive_message(QueueUrl=dead_url, WaitTimeSeconds=0)

    # WHEN the retry worker re-runs it with time to spare, every feed holds the post
    retry = StreamProcessor(f"retry_{unique}", rerun_parked, halt(), sink=lambda: sink)
    retry.process({"Records": [sqs_record({}, parked["Body"])]}, ShrinkingContext(60_000, 0))
    assert [f for f in followers if feed_holds(f)] == followers
