"""SNS -> Lambda: asynchronous invocation, two retries, then the on-failure destination."""

from __future__ import annotations

import json
import logging
import re
import threading
import time

import pytest

from local_runtime import Invocation, LocalRuntime
from local_runtime.sns import SnsSubscription, max_in_hand
from tests.conformance.projects import unique, write_project

pytestmark = pytest.mark.emulator

FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:conformance-local-notified"
FAST = {
    "async_retry_delays": (0.05, 0.05),
    "poll_interval": 0.05,
    "receive_wait": 0,  # short polls: idle within a poll
}

# Fails on messages starting with "fail"; answers {"handled": message} otherwise.
APP = """
import os
from chalice import Chalice

app = Chalice(app_name="conformance")


@app.on_sns_message(topic=os.environ["TOPIC"])
def notified(event):
    if event.message.startswith("fail"):
        raise ValueError("cannot handle " + event.message)
    return {"handled": event.message}
"""


@pytest.fixture
def topic(sns) -> tuple[str, str]:
    name = unique("conf-topic")
    return name, sns.create_topic(Name=name)["TopicArn"]


def project(tmp_path, topic_name: str, event_source: dict | None = None):
    functions = {"notified": {"event_source": event_source}} if event_source else {}
    return write_project(tmp_path, APP, environment={"TOPIC": topic_name}, functions=functions)


def without_timestamp(record: dict) -> dict:
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", record["timestamp"])
    return {k: v for k, v in record.items() if k != "timestamp"}


def test_a_failing_event_is_retried_twice_then_sent_to_the_destination(
    tmp_path, sns, topic, new_queue, drain
):
    # GIVEN an on-failure destination queue and a message the function cannot handle
    name, arn = topic
    _, dlq_url, dlq_arn = new_queue()
    app_dir = project(
        tmp_path, name, {"DestinationConfig": {"OnFailure": {"Destination": dlq_arn}}}
    )
    runtime = LocalRuntime.from_project(app_dir, **FAST)
    with runtime:
        sns.publish(TopicArn=arn, Message="fail-1")
        runtime.wait_until_idle(30)
    # THEN three invocations of the same event under one request id
    invocations = runtime.invocations
    assert [(i.ok, i.event["Records"][0]["Sns"]["Message"]) for i in invocations] == [
        (False, "fail-1"),
        (False, "fail-1"),
        (False, "fail-1"),
    ]
    assert len({i.request_id for i in invocations}) == 1
    assert invocations[0].event == invocations[2].event
    # AND the asynchronous failure record, exactly
    (record,) = drain(dlq_url)
    request_id = invocations[0].request_id
    stack = record["responsePayload"].pop("stackTrace")
    assert stack and all(isinstance(line, str) for line in stack)
    assert without_timestamp(record) == {
        "version": "1.0",
        "requestContext": {
            "requestId": request_id,
            "functionArn": f"{FUNCTION_ARN}:$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": 3,
        },
        "requestPayload": invocations[0].event,
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled",
        },
        "responsePayload": {
            "errorMessage": "cannot handle fail-1",
            "errorType": "ValueError",
            "requestId": request_id,
        },
    }


def test_maximum_retry_attempts_zero_gives_up_after_one_invocation(
    tmp_path, sns, topic, new_queue, drain
):
    name, arn = topic
    _, dlq_url, _ = new_queue(name=unique("conf-async-dlq"))
    dlq_name = dlq_url.rsplit("/", 1)[-1]
    app_dir = project(
        tmp_path,
        name,
        {"MaximumRetryAttempts": 0, "DestinationConfig": {"OnFailure": {"Destination": dlq_name}}},
    )
    runtime = LocalRuntime.from_project(app_dir, **FAST)
    with runtime:
        sns.publish(TopicArn=arn, Message="fail-once")
        runtime.wait_until_idle(30)
    assert [i.ok for i in runtime.invocations] == [False]
    (record,) = drain(dlq_url)
    assert record["requestContext"]["approximateInvokeCount"] == 1
    assert record["requestContext"]["condition"] == "RetriesExhausted"


def test_success_goes_to_the_on_success_destination_with_the_response(
    tmp_path, sns, topic, new_queue, drain
):
    name, arn = topic
    _, ok_url, ok_arn = new_queue()
    app_dir = project(tmp_path, name, {"DestinationConfig": {"OnSuccess": {"Destination": ok_arn}}})
    runtime = LocalRuntime.from_project(app_dir, **FAST)
    with runtime:
        sns.publish(TopicArn=arn, Message="fine")
        runtime.wait_until_idle(30)
    (invocation,) = runtime.invocations
    (record,) = drain(ok_url)
    assert without_timestamp(record) == {
        "version": "1.0",
        "requestContext": {
            "requestId": invocation.request_id,
            "functionArn": f"{FUNCTION_ARN}:$LATEST",
            "condition": "Success",
            "approximateInvokeCount": 1,
        },
        "requestPayload": invocation.event,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST"},
        "responsePayload": {"handled": "fine"},
    }


def test_an_event_older_than_the_maximum_age_is_not_retried(tmp_path, sns, topic, new_queue, drain):
    # GIVEN MaximumEventAgeInSeconds 60 and a clock moved two minutes on after the first try
    name, arn = topic
    _, dlq_url, dlq_arn = new_queue()
    app_dir = project(
        tmp_path,
        name,
        {
            "MaximumEventAgeInSeconds": 60,
            "DestinationConfig": {"OnFailure": {"Destination": dlq_arn}},
        },
    )
    offset = [0.0]
    runtime = LocalRuntime.from_project(app_dir, clock=lambda: time.time() + offset[0], **FAST)

    def age(invocation: Invocation) -> None:
        offset[0] = 120.0

    runtime.on_invocation(age)
    with runtime:
        sns.publish(TopicArn=arn, Message="fail-late")
        runtime.wait_until_idle(30)
    # THEN one invocation, then the event is dropped to the destination as too old
    assert [i.ok for i in runtime.invocations] == [False]
    (record,) = drain(dlq_url)
    assert record["requestContext"]["condition"] == "EventAgeExceeded"
    assert record["requestContext"]["approximateInvokeCount"] == 1
    assert json.dumps(record["requestPayload"]) == json.dumps(runtime.invocations[0].event)


SLOW_APP = """
import os, time
from chalice import Chalice

app = Chalice(app_name="conformance")


@app.on_sns_message(topic=os.environ["TOPIC"])
def notified(event):
    time.sleep(0.05)
    return {"handled": event.message}
"""


def test_a_busy_subscription_leaves_messages_in_the_queue_instead_of_holding_them(
    tmp_path, sns, topic
):
    # GIVEN one worker and more messages than the subscription may hold
    name, arn = topic
    app_dir = write_project(tmp_path, SLOW_APP, environment={"TOPIC": name})
    runtime = LocalRuntime.from_project(app_dir, async_concurrency=1, **FAST)
    bound = max_in_hand(1)
    messages = [f"m{i}" for i in range(bound * 3)]
    with runtime:
        (subscription,) = [s for s in runtime.sources if isinstance(s, SnsSubscription)]
        for message in messages:
            sns.publish(TopicArn=arn, Message=message)
        # WHEN they are worked off, the number in hand is sampled all along
        peak = 0

        def done() -> bool:
            nonlocal peak
            peak = max(peak, subscription.liveness.held)
            return len(runtime.invocations) >= len(messages)

        runtime.wait_for(done, timeout=120, interval=0.01)
        runtime.wait_until_idle(30)
    # THEN it never held more than its bound, and each message ran exactly once
    assert 0 < peak <= bound
    handled = [i.event["Records"][0]["Sns"]["Message"] for i in runtime.invocations]
    assert sorted(handled) == sorted(messages)


# Two functions on two topics; each notes how many of its invocations run at once.
TWO_LANES_APP = """
import os
import threading
import time
from chalice import Chalice

app = Chalice(app_name="conformance")
lock = threading.Lock()
running = {"one": 0, "wide": 0}
peak = {"one": 0, "wide": 0}


def _run(name):
    with lock:
        running[name] += 1
        peak[name] = max(peak[name], running[name])
    time.sleep(0.05)  # the function's work
    with lock:
        running[name] -= 1


@app.on_sns_message(topic=os.environ["ONE_TOPIC"])
def one(event):
    _run("one")


@app.on_sns_message(topic=os.environ["WIDE_TOPIC"])
def wide(event):
    _run("wide")
"""


def test_reserved_concurrency_bounds_a_functions_invocations_at_once(tmp_path, sns):
    # GIVEN two SNS functions, one with a reserved concurrency of 1, one of 3
    topics = {name: unique(f"conf-{name}") for name in ("one", "wide")}
    arns = {name: sns.create_topic(Name=topic)["TopicArn"] for name, topic in topics.items()}
    app_dir = write_project(
        tmp_path,
        TWO_LANES_APP,
        environment={"ONE_TOPIC": topics["one"], "WIDE_TOPIC": topics["wide"]},
        functions={"one": {"reserved_concurrency": 1}, "wide": {"reserved_concurrency": 3}},
    )
    runtime = LocalRuntime.from_project(app_dir, **FAST)
    with runtime:
        subscriptions = {
            s.target.name: s for s in runtime.sources if isinstance(s, SnsSubscription)
        }
        # THEN each holds at most what its own concurrency allows
        assert subscriptions["one"].max_in_hand == max_in_hand(1)
        assert subscriptions["wide"].max_in_hand == max_in_hand(3)
        # WHEN each topic gets 12 messages at once
        for name, arn in arns.items():
            for i in range(12):
                sns.publish(TopicArn=arn, Message=f"{name}-{i}")
        runtime.wait_for(lambda: len(runtime.invocations) >= 24, timeout=120)
        runtime.wait_until_idle(30)
    # THEN the function reserved to 1 never ran two invocations at once
    assert runtime.project is not None
    peak = runtime.project.module.peak
    assert peak["one"] == 1
    assert 1 <= peak["wide"] <= 3


# A bulk function that yields to a priority one (config.json's local_runtime rule). The
# priority function holds "hold" until the test releases it and fails on "fail"; two
# bulk invocations can only return once both run at the same time.
YIELDING_APP = """
import os
import threading
from chalice import Chalice

app = Chalice(app_name="conformance")
release = threading.Event()
meet = threading.Barrier(2, timeout=60)
lock = threading.Lock()
running = 0


@app.on_sns_message(topic=os.environ["PRIORITY_TOPIC"])
def priority(event):
    if event.message == "fail":
        raise ValueError("fails, to be retried later")
    release.wait(60)


@app.on_sns_message(topic=os.environ["BULK_TOPIC"])
def bulk(event):
    global running
    with lock:
        running += 1
    meet.wait()
    with lock:
        running -= 1
"""


def yielding_runtime(tmp_path, sns, **settings) -> tuple[LocalRuntime, dict[str, str]]:
    topics = {name: unique(f"conf-{name}") for name in ("priority", "bulk")}
    arns = {name: sns.create_topic(Name=topic)["TopicArn"] for name, topic in topics.items()}
    rule = {"yield_to": ["priority"], "concurrency_while_yielding": 1}
    app_dir = write_project(
        tmp_path,
        YIELDING_APP,
        environment={"PRIORITY_TOPIC": topics["priority"], "BULK_TOPIC": topics["bulk"]},
        functions={"bulk": {"reserved_concurrency": 2, "local_runtime": rule}},
    )
    return LocalRuntime.from_project(app_dir, **{**FAST, **settings}), arns


def test_a_yielding_function_starts_one_invocation_while_the_other_has_work(tmp_path, sns, caplog):
    # GIVEN bulk (reserved concurrency 2), which yields to priority with 1 at a time
    runtime, arns = yielding_runtime(tmp_path, sns)
    with caplog.at_level(logging.INFO, logger="local_runtime"), runtime:
        assert (
            "bulk yields to priority: 1 invocation(s) at once while they have work, up to 2 "
            "otherwise" in caplog.messages
        )
        assert runtime.project is not None
        app = runtime.project.module
        (bulk,) = [s for s in runtime.sources if s.target.name == "bulk"]
        # WHEN priority has an event in progress and two bulk events come
        sns.publish(TopicArn=arns["priority"], Message="hold")
        runtime.wait_for(lambda: bulk.board.in_progress("priority") == 1, timeout=30)
        for i in range(2):
            sns.publish(TopicArn=arns["bulk"], Message=f"bulk-{i}")
        # THEN one bulk invocation runs and the other waits to start
        runtime.wait_for(lambda: bulk.board.waiting("bulk") == 1, timeout=30)
        assert app.running == 1
        assert bulk.status_lines() == [
            "bulk sns:" + arns["bulk"].rsplit(":", 1)[-1] + " retries-waiting=0 "
            "waiting-to-start=1 (yielding to priority)"
        ]
        # WHEN priority's event ends
        app.release.set()
        # THEN the second starts beside the first: they meet, and both return
        runtime.wait_for(lambda: len(runtime.invocations) == 3, timeout=60)
        runtime.wait_until_idle(30)
    assert sorted((i.function, i.ok) for i in runtime.invocations) == [
        ("bulk", True),
        ("bulk", True),
        ("priority", True),
    ]


def test_a_retry_waiting_out_its_delay_does_not_make_others_yield(tmp_path, sns):
    # GIVEN priority's event failed and waits a minute for its retry
    runtime, arns = yielding_runtime(tmp_path, sns, async_retry_delays=(60.0, 60.0))
    with runtime:
        sns.publish(TopicArn=arns["priority"], Message="fail")
        runtime.wait_for(lambda: len(runtime.invocations) == 1, timeout=30)
        # WHEN two bulk events come meanwhile
        for i in range(2):
            sns.publish(TopicArn=arns["bulk"], Message=f"bulk-{i}")
        # THEN both run at once (they meet) and return
        runtime.wait_for(lambda: len(runtime.invocations) == 3, timeout=60)
    assert sorted((i.function, i.ok) for i in runtime.invocations) == [
        ("bulk", True),
        ("bulk", True),
        ("priority", False),
    ]


def transport_counts(sqs, subscription: SnsSubscription) -> tuple[int, int]:
    """(visible, in flight) messages of a subscription's own queue."""
    found = sqs.get_queue_attributes(
        QueueUrl=subscription.queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return (
        int(found["ApproximateNumberOfMessages"]),
        int(found["ApproximateNumberOfMessagesNotVisible"]),
    )


def test_long_polls_deliver_each_message_once_and_see_an_idle_queue(tmp_path, sns, sqs, topic):
    # GIVEN the runtime's default long polls (WaitTimeSeconds 1) on the subscription's queue
    name, arn = topic
    runtime = LocalRuntime.from_project(project(tmp_path, name), receive_wait=1)
    messages = [f"m{i}" for i in range(7)]
    with runtime:
        (subscription,) = [s for s in runtime.sources if isinstance(s, SnsSubscription)]
        # WHEN messages arrive while a poll waits, and the runtime is then waited on
        for message in messages:
            sns.publish(TopicArn=arn, Message=message)
        runtime.wait_until_idle(30)
        # THEN each ran exactly once, and nothing is left in the queue or in flight
        handled = [i.event["Records"][0]["Sns"]["Message"] for i in runtime.invocations]
        assert sorted(handled) == messages
        assert transport_counts(sqs, subscription) == (0, 0)


def test_a_message_a_long_poll_brings_in_after_the_stop_is_visible_again_at_once(
    tmp_path, sns, sqs, topic
):
    # GIVEN a runtime whose subscription waits in a long poll of 20 s
    name, arn = topic
    runtime = LocalRuntime.from_project(project(tmp_path, name), receive_wait=20)
    runtime.start()
    (subscription,) = [s for s in runtime.sources if isinstance(s, SnsSubscription)]
    # WHEN the stop is asked for, and a message arrives while that poll still waits
    stopping = threading.Thread(target=runtime.stop)
    stopping.start()
    runtime.wait_for(lambda: runtime.stop_requested, timeout=10, interval=0.01)
    sns.publish(TopicArn=arn, Message="after the stop")
    stopping.join(30)
    # THEN it is not invoked, and it is visible again, not held until its hold runs out
    assert not stopping.is_alive()
    assert runtime.invocations == []
    assert transport_counts(sqs, subscription) == (1, 0)
