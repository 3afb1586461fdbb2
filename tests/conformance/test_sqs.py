"""SQS -> Lambda: batch size, batching window, visibility timeout, partial batch failures
and the queue's own redrive policy.
"""

from __future__ import annotations

import json

import pytest

from local_runtime import LocalRuntime
from tests.conformance.projects import write_project

pytestmark = pytest.mark.emulator

FAST = {"poll_interval": 0.05, "receive_wait": 0}  # short polls: idle within a poll

# "flaky-*" fails the first time it is seen; "bad-*" is reported failed every time.
APP = """
import os
from chalice import Chalice

app = Chalice(app_name="conformance")
SEEN = set()


@app.on_sqs_message(
    queue=os.environ["QUEUE"],
    batch_size=int(os.environ["BATCH_SIZE"]),
    maximum_batching_window_in_seconds=int(os.environ["WINDOW"]),
)
def queued(event):
    failures = []
    for record in event:
        first_time = record.body not in SEEN
        SEEN.add(record.body)
        if record.body.startswith("flaky") and first_time:
            raise ValueError("flaky the first time")
        if record.body.startswith("bad"):
            failures.append({"itemIdentifier": record.to_dict()["messageId"]})
    return {"batchItemFailures": failures}
"""


def project(tmp_path, queue: str, batch_size: int = 10, window: int = 0, event_source=None):
    return write_project(
        tmp_path,
        APP,
        environment={"QUEUE": queue, "BATCH_SIZE": str(batch_size), "WINDOW": str(window)},
        functions={"queued": {"event_source": event_source}} if event_source else {},
    )


def bodies(runtime) -> list[list[str]]:
    return [[r["body"] for r in i.event["Records"]] for i in runtime.invocations]


def counts(sqs, url: str) -> tuple[int, int]:
    found = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return (
        int(found["ApproximateNumberOfMessages"]),
        int(found["ApproximateNumberOfMessagesNotVisible"]),
    )


def test_batch_size_caps_each_batch(tmp_path, sqs, new_queue):
    name, url, _ = new_queue()
    for i in range(5):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
    runtime = LocalRuntime.from_project(project(tmp_path, name, batch_size=2), **FAST)
    with runtime:
        runtime.wait_until_idle(30)
    assert sorted(len(b) for b in bodies(runtime)) == [1, 2, 2]
    assert sorted(b for batch in bodies(runtime) for b in batch) == [f"m{i}" for i in range(5)]
    assert counts(sqs, url) == (0, 0)


def test_the_batching_window_gathers_messages(tmp_path, sqs, new_queue):
    name, url, _ = new_queue()
    runtime = LocalRuntime.from_project(project(tmp_path, name, window=2), **FAST)
    with runtime:
        for body in ("one", "two", "three"):
            sqs.send_message(QueueUrl=url, MessageBody=body)
        runtime.wait_until_idle(30)
    assert bodies(runtime) == [["one", "two", "three"]]


def test_a_failed_batch_comes_back_after_the_visibility_timeout(tmp_path, sqs, new_queue):
    # GIVEN a queue with a 1 s visibility timeout and a message that fails once
    name, url, _ = new_queue({"VisibilityTimeout": "1"})
    sqs.send_message(QueueUrl=url, MessageBody="flaky-1")
    runtime = LocalRuntime.from_project(project(tmp_path, name), **FAST)
    with runtime:
        runtime.wait_until_idle(30)
    # THEN it was received again once the timeout passed, and then deleted
    assert bodies(runtime) == [["flaky-1"], ["flaky-1"]]
    assert [i.ok for i in runtime.invocations] == [False, True]
    receive_counts = [
        i.event["Records"][0]["attributes"]["ApproximateReceiveCount"] for i in runtime.invocations
    ]
    assert receive_counts == ["1", "2"]
    assert counts(sqs, url) == (0, 0)


def test_partial_failures_leave_only_the_reported_messages_and_redrive_moves_them(
    tmp_path, sqs, new_queue, drain
):
    # GIVEN a queue whose redrive policy allows 2 receives, and ReportBatchItemFailures
    _, dlq_url, dlq_arn = new_queue()
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})
    name, url, _ = new_queue({"VisibilityTimeout": "1", "RedrivePolicy": redrive})
    for body in ("a", "bad-b", "c"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    app_dir = project(
        tmp_path, name, event_source={"FunctionResponseTypes": ["ReportBatchItemFailures"]}
    )
    runtime = LocalRuntime.from_project(app_dir, **FAST)
    with runtime:
        runtime.wait_until_idle(30)
    # THEN the reported message alone came back, and after its second receive the queue
    # moved it to its dead-letter queue
    assert bodies(runtime) == [["a", "bad-b", "c"], ["bad-b"]]
    assert counts(sqs, url) == (0, 0)
    dead = sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in dead] == ["bad-b"]


def test_without_report_batch_item_failures_the_return_value_is_ignored(tmp_path, sqs, new_queue):
    name, url, _ = new_queue()
    sqs.send_message(QueueUrl=url, MessageBody="bad-but-ignored")
    runtime = LocalRuntime.from_project(project(tmp_path, name), **FAST)
    with runtime:
        runtime.wait_until_idle(30)
    assert bodies(runtime) == [["bad-but-ignored"]]
    assert counts(sqs, url) == (0, 0)


def test_messages_matching_no_filter_are_deleted_without_an_invocation(tmp_path, sqs, new_queue):
    # GIVEN a filter on the JSON body's kind
    name, url, _ = new_queue()
    wanted = json.dumps({"kind": "follow"})
    for body in (wanted, json.dumps({"kind": "other"}), "plain text"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    pattern = json.dumps({"body": {"kind": ["follow"]}})
    app_dir = project(
        tmp_path, name, event_source={"FilterCriteria": {"Filters": [{"Pattern": pattern}]}}
    )
    runtime = LocalRuntime.from_project(app_dir, **FAST)
    with runtime:
        runtime.wait_until_idle(30)
    # THEN only the matching message was handed over, and the queue is empty
    assert bodies(runtime) == [[wanted]]
    assert counts(sqs, url) == (0, 0)
