"""SNS to Lambda: delivery through an SQS queue, then Lambda's asynchronous invocation.

The runtime subscribes a queue of its own to the topic (normal envelope, not raw),
long-polls it (``receive_wait`` seconds: a message is taken as soon as SNS delivers it,
as Lambda's own queue hands it on, and an idle queue costs one call per wait, not one per
poll interval), turns each envelope back into Lambda's SNS event, and invokes asynchronously: on a
function error, retries after the configured delays (Lambda: about 1 and 2 minutes),
then writes the asynchronous failure record to the on-failure destination. The queue
message stays invisible until the event's fate is known, so a crash loses nothing.
"""

from __future__ import annotations

import functools
import hashlib
import heapq
import itertools
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from local_runtime.config import AsyncSettings, ConfigError
from local_runtime.destinations import Destination
from local_runtime.events import SnsEvent, async_result_record, sns_record_from_envelope
from local_runtime.retrying import Stopped, StuckReasons, persist
from local_runtime.target import FunctionTarget, Liveness, empty_through, now
from local_runtime.yielding import LaneBoard

__all__ = ["SnsSubscription", "max_in_hand", "transport_queue_name"]

log = logging.getLogger("local_runtime")


def transport_queue_name(app_name: str, stage: str, function: str, topic: str) -> str:
    """A stable, valid queue name (80 chars of [A-Za-z0-9_-]) per function and topic."""
    raw = f"local-runtime-{app_name}-{stage}-{function}-{topic}"
    name = re.sub(r"[^A-Za-z0-9_-]", "-", raw)
    if len(name) <= 80:
        return name
    digest = hashlib.sha1(raw.encode()).hexdigest()[:10]
    return f"{name[:69]}-{digest}"


@dataclass(order=True)
class _Attempt:
    due: float
    order: int
    job: _Job = field(compare=False)


@dataclass
class _Job:
    """One asynchronous event and how many times it has been invoked."""

    event: SnsEvent
    receipt_handle: str
    sent_at: float
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    invokes: int = 0


def max_in_hand(concurrency: int) -> int:
    """Messages a subscription holds at most (running, waiting for a worker or a retry).

    Lambda's own queue hands an asynchronous event to a function only when it can run;
    a poller that received without bound would let messages wait in the pool until
    their hold ran out, and SQS would deliver them a second time.
    """
    return 2 * concurrency + 10


class SnsSubscription:
    """One ``on_sns_message`` handler: topic -> its queue -> async invocations."""

    def __init__(
        self,
        *,
        target: FunctionTarget,
        topic: str,
        queue_name: str,
        settings: AsyncSettings,
        sns: Any,
        sqs: Any,
        region: str,
        account_id: str,
        on_failure: Destination | None,
        on_success: Destination | None,
        stopping: threading.Event,
        poll_interval: float,
        concurrency: int,
        board: LaneBoard,
        clock: Callable[[], float] = time.time,
        receive_wait: int = 0,
    ) -> None:
        self.target = target
        self.clock = clock
        self.topic = topic
        self.queue_name = queue_name
        self.settings = settings
        self.sns = sns
        self.sqs = sqs
        self.region = region
        self.account_id = account_id
        self.on_failure = on_failure
        self.on_success = on_success
        self.stopping = stopping
        self.poll_interval = poll_interval
        self.receive_wait = receive_wait
        self.liveness = Liveness()
        self.stuck = StuckReasons()
        self.topic_arn = ""
        self.subscription_arn = ""
        self.queue_url = ""
        self.source = ""
        self._due: list[_Attempt] = []
        self._due_lock = threading.Lock()
        self._order = itertools.count()
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="sns-invoke")
        self.max_in_hand = max_in_hand(concurrency)
        self.board = board  # events in progress, and whether this function must give way
        self._thread: threading.Thread | None = None

    @property
    def description(self) -> str:
        name = self.topic.rsplit(":", 1)[-1]
        return f"{self.target.name}<-sns {name}"

    def start(self) -> None:
        self.topic_arn = self._topic_arn()
        self.queue_url = self.sqs.create_queue(QueueName=self.queue_name)["QueueUrl"]
        queue_arn = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_url, AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "sns.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": queue_arn,
                    "Condition": {"ArnEquals": {"aws:SourceArn": self.topic_arn}},
                }
            ],
        }
        self.sqs.set_queue_attributes(
            QueueUrl=self.queue_url, Attributes={"Policy": json.dumps(policy)}
        )
        self.subscription_arn = self.sns.subscribe(
            TopicArn=self.topic_arn,
            Protocol="sqs",
            Endpoint=queue_arn,
            Attributes=self._subscription_attributes(),
            ReturnSubscriptionArn=True,
        )["SubscriptionArn"]
        self.source = f"sns:{self.topic_arn.rsplit(':', 1)[-1]}"
        self._thread = threading.Thread(target=self._run, name=self.description, daemon=True)
        self._thread.start()

    def _subscription_attributes(self) -> dict[str, str]:
        """Normal envelope; the function's FilterPolicy, so SNS itself drops what it
        rejects, as it does before invoking a Lambda subscriber."""
        attributes = {"RawMessageDelivery": "false"}
        if self.settings.filter_policy is not None:
            attributes["FilterPolicy"] = self.settings.filter_policy
            attributes["FilterPolicyScope"] = self.settings.filter_policy_scope
        return attributes

    def _topic_arn(self) -> str:
        arn = self.topic
        if not arn.startswith("arn:"):
            arn = f"arn:aws:sns:{self.region}:{self.account_id}:{self.topic}"
        try:
            self.sns.get_topic_attributes(TopicArn=arn)
        except ClientError:
            raise ConfigError(
                f"{self.target.name}: SNS topic {self.topic} does not exist"
            ) from None
        return arn

    def join(self, timeout: float) -> None:
        if self._thread is not None:
            self._thread.join(timeout)
        self._pool.shutdown(wait=False, cancel_futures=True)

    # -- polling -----------------------------------------------------------------------
    def _hold_seconds(self) -> int:
        """How long a received message stays invisible: every retry and invoke fits."""
        delays = self._delays()
        budget = sum(delays) + (len(delays) + 1) * self.target.identity.timeout_seconds + 30
        return int(min(43200, budget))

    def _delays(self) -> list[float]:
        given = list(self.settings.retry_delays)
        count = self.settings.maximum_retry_attempts
        return [given[min(i, len(given) - 1)] for i in range(count)]

    def _run(self) -> None:
        while not self.stopping.is_set():
            try:
                self._submit_due()
                if self.liveness.held >= self.max_in_hand:
                    # busy: a message left in the queue keeps its whole hold for later,
                    # one received now would spend it waiting for a worker
                    self.stopping.wait(self.poll_interval)
                    continue
                started = now()
                response = self.sqs.receive_message(
                    QueueUrl=self.queue_url,
                    MaxNumberOfMessages=min(10, self.max_in_hand - self.liveness.held),
                    WaitTimeSeconds=self.receive_wait,
                    VisibilityTimeout=self._hold_seconds(),
                    AttributeNames=["All"],
                )
                self.liveness.poll_succeeded()
                messages = response.get("Messages", [])
                if messages and self.stopping.is_set():
                    self._give_back(messages)
                    return
                if not messages:
                    self.liveness.polled_empty(empty_through(started, self.receive_wait))
                    if not self.receive_wait:
                        self.stopping.wait(self.poll_interval)
                    continue
                for message in messages:
                    self._accept(message)
            except Exception as err:
                if self.stopping.is_set():
                    return
                self.liveness.poll_failed(self.description, err)
                self.stopping.wait(1.0)

    def _give_back(self, messages: list[dict[str, Any]]) -> None:
        """Messages a long poll brought in after the stop: visible again at once, so a
        restart takes them now, not once their hold runs out."""
        entries = [
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
            for i, m in enumerate(messages)
        ]
        try:
            self.sqs.change_message_visibility_batch(QueueUrl=self.queue_url, Entries=entries)
        except Exception as err:  # the emulator may be gone: they come back after the hold
            log.warning(
                "%s: %d message(s) kept until their hold ends: %s", self.source, len(entries), err
            )

    def _accept(self, message: dict[str, Any]) -> None:
        try:
            envelope = json.loads(message["Body"])
            record = sns_record_from_envelope(envelope, self.subscription_arn)
        except (ValueError, TypeError, AttributeError):
            log.error("%s: not an SNS envelope, dropped: %.200s", self.source, message["Body"])
            self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
            return
        sent_ms = int(message.get("Attributes", {}).get("SentTimestamp", time.time() * 1000))
        job = _Job({"Records": [record]}, message["ReceiptHandle"], sent_ms / 1000)
        self.liveness.hold(1)
        self._schedule(job, 0.0)

    def _schedule(self, job: _Job, delay: float) -> None:
        with self._due_lock:
            heapq.heappush(self._due, _Attempt(now() + delay, next(self._order), job))
        if delay == 0:
            self._submit_due()

    def _submit_due(self) -> None:
        ready: list[_Job] = []
        with self._due_lock:
            while self._due and self._due[0].due <= now():
                ready.append(heapq.heappop(self._due).job)
        for job in ready:
            self.board.begin(self.target.name)
            self._pool.submit(self._attempt, job)

    # -- one asynchronous attempt -----------------------------------------------------
    def _attempt(self, job: _Job) -> None:
        try:
            self._attempt_once(job)
        except Stopped:
            self.liveness.release(1)  # stays invisible, comes back after a restart
        except Exception:
            log.exception("%s: delivery failed", self.source)
            self.liveness.release(1)
        finally:
            self.board.end(self.target.name)

    def _attempt_once(self, job: _Job) -> None:
        if self.stopping.is_set():
            self.liveness.release(1)  # stays invisible, comes back after a restart
            return
        if self.clock() - job.sent_at > self.settings.maximum_event_age_in_seconds:
            self._finish(job, "EventAgeExceeded", None, None)
            return
        if not self.board.enter(self.target.name):
            raise Stopped  # waited to start while the runtime stopped
        try:
            invocation = self.target.invoker.invoke(
                self.target.handler,
                self.target.identity,
                self.target.name,
                self.source,
                job.event,
                request_id=job.request_id,
            )
        finally:
            self.board.leave(self.target.name)
        job.invokes += 1
        if invocation.ok:
            self._finish(job, "Success", None, invocation.response)
            return
        retries_done = job.invokes - 1
        if retries_done < self.settings.maximum_retry_attempts:
            self._schedule(job, self._delays()[retries_done])
            return
        self._finish(job, "RetriesExhausted", "Unhandled", invocation.error_payload())

    def _finish(
        self, job: _Job, condition: str, function_error: str | None, response_payload: Any
    ) -> None:
        destination = self.on_success if condition == "Success" else self.on_failure
        if destination is not None:
            record = async_result_record(
                request_id=job.request_id,
                function_arn=self.target.identity.function_arn,
                condition=condition,
                invoke_count=job.invokes,
                payload=job.event,
                function_error=function_error,
                response_payload=response_payload,
                now=self.clock(),
            )
            persist(
                f"{'on-success' if condition == 'Success' else 'on-failure'} record to "
                f"{destination.arn}",
                functools.partial(destination.send, record),
                source=self.source,
                stopping=self.stopping,
                stuck=self.stuck,
            )
        if condition != "Success":
            log.warning(
                "%s %s: %s after %d invocation(s), %s",
                self.target.name,
                self.source,
                condition,
                job.invokes,
                f"sent to {destination.arn}" if destination else "dropped (no destination)",
            )
        self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=job.receipt_handle)
        self.liveness.release(1)

    def failure(self) -> BaseException | None:
        return self.liveness.error

    def idle_since(self, since: float) -> bool:
        return self.stuck.describe() is None and self.liveness.idle_since(since)

    def status_lines(self) -> list[str]:
        with self._due_lock:
            waiting = len(self._due)
        stuck = self.stuck.describe()
        yielding = self.board.describe(self.target.name)
        if not waiting and stuck is None and yielding is None:
            return []
        parts = [f"retries-waiting={waiting}", yielding or "", stuck or ""]
        return [" ".join([self.target.name, self.source, *filter(None, parts)])]
