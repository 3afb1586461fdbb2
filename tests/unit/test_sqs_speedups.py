"""The emulator's SQS speed-ups answer as moto's own code does (devstack.sqs_speedups).

The same sends, receives, visibility changes, delays, deletes and attribute reads run
through moto in this process, once with its own code and once with the speed-ups, and
every answer must be the same: the messages each receive hands out, in order, and the
counts of visible, in-flight and delayed messages. Timeouts are long or zero, so no
answer depends on how fast the test runs. Checked to fail: a ``visible`` that compared
the other way, or a retention rule that kept expired messages, broke the comparison.
"""

from __future__ import annotations

import os
from typing import Any

import boto3
from moto import mock_aws
from moto.sqs.models import sqs_backends

from devstack import sqs_speedups

COUNTS = [
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
]


def _bodies(answer: dict[str, Any]) -> list[str]:
    return [m["Body"] for m in answer.get("Messages", [])]


def _scenario() -> list[Any]:
    """Every answer of one run of calls on a fresh moto."""
    seen: list[Any] = []
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="q", Attributes={"MessageRetentionPeriod": "60"})[
            "QueueUrl"
        ]

        def counts() -> None:
            found = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=COUNTS)["Attributes"]
            seen.append({name: found[name] for name in COUNTS})

        for i in range(12):
            sqs.send_message(
                QueueUrl=url, MessageBody=f"m{i}", DelaySeconds=900 if i % 5 == 4 else 0
            )
        sqs.send_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"b{i}"} for i in range(10)]
        )
        counts()
        held = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=6, VisibilityTimeout=300)
        seen.append(_bodies(held))
        counts()
        again = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=3, VisibilityTimeout=0)
        seen.append(_bodies(again))
        for message in held["Messages"][:2]:
            sqs.change_message_visibility(
                QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )
        sqs.delete_message(QueueUrl=url, ReceiptHandle=held["Messages"][2]["ReceiptHandle"])
        counts()
        # three messages sent two minutes ago: past the queue's retention of 60 s
        (queue,) = sqs_backends["123456789012"]["us-east-1"].queues.values()
        for message in queue._messages[-3:]:
            message.sent_timestamp -= 120_000
        seen.append(_bodies(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)))
        seen.append(_bodies(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)))
        counts()
        seen.append(
            sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"][
                "MessageRetentionPeriod"
            ]
        )
    return seen


def test_sqs_answers_as_moto_does_with_the_speed_ups(moto_own_code, monkeypatch):
    # moto in this process: no emulator endpoint a session fixture may have set
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setitem(os.environ, "AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setitem(os.environ, "AWS_SECRET_ACCESS_KEY", "testing")
    stock = _scenario()
    sqs_speedups.install()
    assert _scenario() == stock
    # and the run saw what it is about: 22 sent, m4 and m9 delayed; six held, skipping m4;
    # the last receive stops at b7, the first of the three past the retention period
    assert stock[0] == {
        "ApproximateNumberOfMessages": "20",
        "ApproximateNumberOfMessagesNotVisible": "0",
        "ApproximateNumberOfMessagesDelayed": "2",
    }
    assert stock[1] == ["m0", "m1", "m2", "m3", "m5", "m6"]
    assert stock[6] == ["b4", "b5", "b6"]
