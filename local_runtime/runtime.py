"""The local Lambda service for one Chalice app: builds every mapping, runs, reports.

Every setting is checked before the first poller starts; endpoints come from the
standard AWS SDK environment only, so moto, LocalStack or AWS itself all work.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol, TypeVar

import boto3
from botocore.config import Config as BotoConfig
from chalice import Chalice
from chalice.app import KinesisEventConfig, SNSEventConfig, SQSEventConfig

from local_runtime.checkpoints import CheckpointStore
from local_runtime.config import (
    ConfigError,
    parse_async_settings,
    parse_kinesis_settings,
    parse_reserved_concurrency,
    parse_retry_delays,
    parse_sqs_settings,
)
from local_runtime.context import FunctionIdentity
from local_runtime.destinations import Destination, resolve_destination
from local_runtime.invoker import Invocation, Invoker
from local_runtime.kinesis import KinesisMapping
from local_runtime.project import Project, load_project
from local_runtime.sns import SnsSubscription, transport_queue_name
from local_runtime.sqs import SqsMapping
from local_runtime.target import FunctionTarget, now
from local_runtime.yielding import LaneBoard, parse_yield_rules

__all__ = ["LocalRuntime"]

log = logging.getLogger("local_runtime")
T = TypeVar("T")

DEFAULT_ACCOUNT = "123456789012"


class _Source(Protocol):
    @property
    def description(self) -> str: ...

    def start(self) -> None: ...
    def join(self, timeout: float) -> None: ...
    def idle_since(self, since: float) -> bool: ...
    def failure(self) -> BaseException | None: ...
    def status_lines(self) -> list[str]: ...


class _Clients:
    """The SDK clients every source shares, and the lease table, made on first use."""

    def __init__(self, client: Callable[[str], Any], checkpoint_table: str) -> None:
        self.kinesis = client("kinesis")
        self.sqs = client("sqs")
        self.sns = client("sns")
        self._client = client
        self._checkpoint_table = checkpoint_table
        self._store: CheckpointStore | None = None

    def checkpoint_store(self) -> CheckpointStore:
        if self._store is None:
            self._store = CheckpointStore(self._client("dynamodb"), self._checkpoint_table)
            self._store.ensure_table()
        return self._store


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, got {raw!r}") from None


MAX_RECEIVE_WAIT = 20
"""SQS's longest ``WaitTimeSeconds``; 0 is a short poll."""


def _env_wait(name: str, default: int) -> int:
    """A ``WaitTimeSeconds``: a whole number of seconds, 0 to ``MAX_RECEIVE_WAIT``."""
    raw = os.environ.get(name)
    if not raw:
        return default
    if not raw.isdigit() or int(raw) > MAX_RECEIVE_WAIT:
        raise ConfigError(
            f"{name} must be a whole number of seconds from 0 to {MAX_RECEIVE_WAIT}, got {raw!r}"
        )
    return int(raw)


class LocalRuntime:
    """Runs the Kinesis, SNS and SQS event sources of one Chalice app until stopped.

    ``mapping_settings`` maps function name to its ``event_source`` object (the same
    keys as in ``.chalice/config.json``); ``from_project`` reads them from there, and
    each function's ``reserved_concurrency`` (``function_concurrency``): an SNS handler
    runs at most that many invocations at once (``async_concurrency`` when unset).
    ``local_rules`` maps function name to its ``local_runtime`` object, the rules
    Lambda has no counterpart for (``yielding.py``).
    """

    def __init__(
        self,
        app: Chalice,
        *,
        stage: str = "local",
        app_name: str | None = None,
        mapping_settings: Mapping[str, Mapping[str, Any]] | None = None,
        local_rules: Mapping[str, Any] | None = None,
        function_limits: Mapping[str, tuple[int, int]] | None = None,
        function_concurrency: Mapping[str, int | None] | None = None,
        role_arns: Mapping[str, str] | None = None,
        session: boto3.Session | None = None,
        checkpoint_table: str | None = None,
        poll_interval: float | None = None,
        receive_wait: int | None = None,
        async_retry_delays: tuple[float, ...] | None = None,
        stream_retry_delays: tuple[float, float] | None = None,
        status_interval: float | None = None,
        async_concurrency: int = 4,
        clock: Callable[[], float] = time.time,
        history_limit: int = 10_000,
    ) -> None:
        self.app = app
        self.stage = stage
        self.app_name = app_name or app.app_name
        self.mapping_settings = dict(mapping_settings or {})
        self.local_rules = dict(local_rules or {})
        self.function_limits = dict(function_limits or {})
        self.function_concurrency = {
            name: parse_reserved_concurrency(name, value)
            for name, value in (function_concurrency or {}).items()
        }
        self.role_arns = dict(role_arns or {})
        self.session = session or boto3.Session()
        self.checkpoint_table = checkpoint_table or os.environ.get(
            "LOCAL_RUNTIME_CHECKPOINT_TABLE", "local-runtime-checkpoints"
        )
        self.poll_interval = (
            poll_interval
            if poll_interval is not None
            else _env_float("LOCAL_RUNTIME_POLL_INTERVAL", 0.2)
        )
        self.receive_wait = (
            receive_wait
            if receive_wait is not None
            else _env_wait("LOCAL_RUNTIME_RECEIVE_WAIT_SECONDS", 1)
        )
        self.async_retry_delays = async_retry_delays or parse_retry_delays(
            os.environ.get("LOCAL_RUNTIME_ASYNC_RETRY_DELAYS", "60,120")
        )
        if stream_retry_delays is None:
            low = _env_float("LOCAL_RUNTIME_STREAM_RETRY_MIN_DELAY", 0.1)
            high = _env_float("LOCAL_RUNTIME_STREAM_RETRY_MAX_DELAY", 2.0)
            stream_retry_delays = (low, max(low, high))
        self.stream_retry_delays = stream_retry_delays
        self.status_interval = (
            status_interval
            if status_interval is not None
            else _env_float("LOCAL_RUNTIME_STATUS_INTERVAL", 30.0)
        )
        self.async_concurrency = async_concurrency
        self.clock = clock
        self.invoker = Invoker(history_limit)
        self.project: Project | None = None
        self.sources: list[_Source] = []
        self.region = ""
        self.account_id = ""
        self._stopping = threading.Event()
        self._status_thread: threading.Thread | None = None
        self._started = False
        self._cloudwatch: Any = None
        self._board = LaneBoard({}, self._stopping)

    @classmethod
    def from_project(
        cls, project_dir: str | Path, stage: str = "local", **kwargs: Any
    ) -> LocalRuntime:
        """Load ``project_dir``'s app with the stage's environment and its settings."""
        project = load_project(project_dir, stage)
        return cls.from_loaded(project, **kwargs)

    @classmethod
    def from_loaded(cls, project: Project, **kwargs: Any) -> LocalRuntime:
        names = [s.name for s in project.app.event_sources]
        kwargs.setdefault("mapping_settings", project.event_sources())
        kwargs.setdefault("local_rules", project.local_rules())
        kwargs.setdefault(
            "function_limits", {name: project.timeout_and_memory(name) for name in names}
        )
        kwargs.setdefault(
            "function_concurrency", {name: project.reserved_concurrency(name) for name in names}
        )
        roles = {name: project.role_arn(name) for name in names}
        kwargs.setdefault("role_arns", {name: arn for name, arn in roles.items() if arn})
        runtime = cls(project.app, stage=project.stage, app_name=project.app_name, **kwargs)
        runtime.project = project
        return runtime

    # -- lifecycle -------------------------------------------------------------------------
    def _client(self, service: str) -> Any:
        config = BotoConfig(retries={"max_attempts": 5, "mode": "standard"})
        return self.session.client(service, config=config)

    def _identity(self) -> None:
        self.region = self.session.region_name or "us-east-1"
        try:
            self.account_id = self._client("sts").get_caller_identity()["Account"]
        except Exception:
            self.account_id = DEFAULT_ACCOUNT

    def _target(self, name: str) -> FunctionTarget:
        timeout, memory = self.function_limits.get(name, (60, 128))
        identity = FunctionIdentity(
            function_name=f"{self.app_name}-{self.stage}-{name}",
            region=self.region,
            account_id=self.account_id,
            memory_limit_in_mb=memory,
            timeout_seconds=timeout,
        )
        role = self.role_arns.get(name) or (
            f"arn:aws:iam::{self.account_id}:role/{self.app_name}-{self.stage}"
        )  # Chalice's own role unless config.json names one
        return FunctionTarget(name, self.app.handler_map[name], identity, self.invoker, role)

    def _build(self) -> list[_Source]:
        """Check every setting and resolve every name; nothing runs yet."""
        clients = _Clients(self._client, self.checkpoint_table)
        builders: dict[type, Callable[[Any, _Clients], _Source]] = {
            KinesisEventConfig: self._kinesis_mapping,
            SQSEventConfig: self._sqs_mapping,
            SNSEventConfig: self._sns_subscription,
        }
        self._board = self._lane_board()
        sources: list[_Source] = []
        for source in self.app.event_sources:
            build = builders.get(type(source))
            if build is None:
                log.info("%s: %s is not run locally", source.name, type(source).__name__)
                continue
            sources.append(build(source, clients))
        self._refuse_settings_without_handler(
            {s.name for s in self.app.event_sources if type(s) in builders}
        )
        return sources

    def _lane_board(self) -> LaneBoard:
        pools = {
            s.name: self._sns_concurrency(s.name)
            for s in self.app.event_sources
            if isinstance(s, SNSEventConfig)
        }
        rules = parse_yield_rules(self.local_rules, pools)
        for name, rule in rules.items():
            log.info(
                "%s yields to %s: %d invocation(s) at once while they have work, up to %d "
                "otherwise",
                name,
                ", ".join(rule.to),
                rule.concurrency,
                pools[name],
            )
        return LaneBoard(rules, self._stopping)

    def _sns_concurrency(self, name: str) -> int:
        return self.function_concurrency.get(name) or self.async_concurrency

    def _refuse_settings_without_handler(self, handled: set[str]) -> None:
        for name in self.mapping_settings:
            if name not in handled:
                raise ConfigError(
                    f"{name}: event_source is set but the app has no Kinesis, SNS or SQS "
                    "handler of that name"
                )

    def _destination(self, clients: _Clients, name: str, arn: str | None) -> Destination | None:
        if arn is None:
            return None
        return resolve_destination(
            name,
            arn,
            sqs=clients.sqs,
            sns=clients.sns,
            region=self.region,
            account_id=self.account_id,
        )

    def _kinesis_mapping(self, source: KinesisEventConfig, clients: _Clients) -> _Source:
        name = source.name
        settings = parse_kinesis_settings(
            name,
            batch_size=source.batch_size,
            maximum_batching_window_in_seconds=source.maximum_batching_window_in_seconds,
            starting_position=source.starting_position,
            event_source=self.mapping_settings.get(name),
        )
        target = self._target(name)
        return KinesisMapping(
            target=target,
            stream_name=source.stream,
            settings=settings,
            kinesis=clients.kinesis,
            store=clients.checkpoint_store(),
            destination=self._destination(clients, name, settings.on_failure_destination),
            region=self.region,
            lease_key=f"{target.identity.function_arn}|{source.stream}",
            stopping=self._stopping,
            poll_interval=self.poll_interval,
            retry_delays=self.stream_retry_delays,
            clock=self.clock,
        )

    def _sqs_mapping(self, source: SQSEventConfig, clients: _Clients) -> _Source:
        name = source.name
        queue_name = source.queue or (source.queue_arn or "").rsplit(":", 1)[-1]
        settings = parse_sqs_settings(
            name,
            batch_size=source.batch_size,
            maximum_batching_window_in_seconds=source.maximum_batching_window_in_seconds,
            fifo=queue_name.endswith(".fifo"),
            maximum_concurrency=source.maximum_concurrency,
            event_source=self.mapping_settings.get(name),
        )
        return SqsMapping(
            target=self._target(name),
            queue=source.queue,
            queue_arn=source.queue_arn,
            settings=settings,
            sqs=clients.sqs,
            region=self.region,
            stopping=self._stopping,
            poll_interval=self.poll_interval,
            receive_wait=self.receive_wait,
        )

    def _sns_subscription(self, source: SNSEventConfig, clients: _Clients) -> _Source:
        name = source.name
        settings = parse_async_settings(
            name, self.mapping_settings.get(name), self.async_retry_delays
        )
        topic_name = source.topic.rsplit(":", 1)[-1]
        return SnsSubscription(
            target=self._target(name),
            topic=source.topic,
            queue_name=transport_queue_name(self.app_name, self.stage, name, topic_name),
            settings=settings,
            sns=clients.sns,
            sqs=clients.sqs,
            region=self.region,
            account_id=self.account_id,
            on_failure=self._destination(clients, name, settings.on_failure_destination),
            on_success=self._destination(clients, name, settings.on_success_destination),
            stopping=self._stopping,
            poll_interval=self.poll_interval,
            concurrency=self._sns_concurrency(name),
            board=self._board,
            clock=self.clock,
            receive_wait=self.receive_wait,
        )

    def start(self) -> LocalRuntime:
        """Start every poller; returns once each has its starting position."""
        if self._started:
            raise RuntimeError("already started")
        self._identity()
        self.sources = self._build()
        self._started = True
        try:
            for source in self.sources:
                source.start()
        except Exception:
            self.stop()
            raise
        if self.status_interval > 0:
            self._status_thread = threading.Thread(
                target=self._report, name="local-runtime-status", daemon=True
            )
            self._status_thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop polling; an in-flight invocation finishes or is abandoned after ``timeout``."""
        self._stopping.set()
        deadline = now() + timeout
        for source in self.sources:
            source.join(max(0.1, deadline - now()))
        if self._status_thread is not None:
            self._status_thread.join(1.0)

    @property
    def stop_requested(self) -> bool:
        """``stop`` was called: no poller starts another poll."""
        return self._stopping.is_set()

    def __enter__(self) -> LocalRuntime:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- observing -------------------------------------------------------------------------
    @property
    def descriptions(self) -> list[str]:
        return [source.description for source in self.sources]

    def ready_line(self) -> str:
        return f"ready: {len(self.sources)} event sources ({', '.join(self.descriptions)})"

    @property
    def invocations(self) -> list[Invocation]:
        return self.invoker.history

    def on_invocation(self, listener: Callable[[Invocation], None]) -> None:
        """Call ``listener`` after each invocation, in the poller's thread, before it goes on."""
        self.invoker.subscribe(listener)

    def invocations_of(self, function: str) -> list[Invocation]:
        return [i for i in self.invoker.history if i.function == function]

    def _check_failures(self) -> None:
        for source in self.sources:
            error = source.failure()
            if error is not None:
                raise RuntimeError(f"{source.description} failed: {error!r}") from error

    def wait_until_idle(self, timeout: float = 30.0) -> None:
        """Block until every poller has caught up and nothing is in flight or waiting.

        Records written before the call are all handled (or given up) when it returns.
        """
        since = now()
        deadline = since + timeout
        while True:
            self._check_failures()
            if all(source.idle_since(since) for source in self.sources):
                return
            if now() > deadline:
                raise TimeoutError(
                    f"not idle after {timeout}s: " + "; ".join(self.status_lines() or ["-"])
                )
            time.sleep(0.05)

    def wait_for(
        self, condition: Callable[[], T], timeout: float = 30.0, interval: float = 0.05
    ) -> T:
        """Poll ``condition`` until it returns something truthy; return that."""
        deadline = now() + timeout
        while True:
            self._check_failures()
            value = condition()
            if value:
                return value
            if now() > deadline:
                raise TimeoutError(f"condition not met within {timeout}s")
            time.sleep(interval)

    def status_lines(self) -> list[str]:
        lines: list[str] = []
        for source in self.sources:
            lines.extend(source.status_lines())
        return lines

    def iterator_ages(self) -> dict[tuple[str, str], float | None]:
        """IteratorAge (ms) of the last batch handed over, per (function, shard)."""
        ages: dict[tuple[str, str], float | None] = {}
        for source in self.sources:
            if isinstance(source, KinesisMapping):
                for shard, age in source.iterator_ages().items():
                    ages[(source.target.name, shard)] = age
        return ages

    def _report(self) -> None:
        while not self._stopping.wait(self.status_interval):
            for line in self.status_lines():
                log.info("status: %s", line)
            self._put_metrics()

    def _put_metrics(self) -> None:
        """IteratorAge as CloudWatch publishes it for Lambda (AWS/Lambda, FunctionName)."""
        by_function: dict[str, float] = {}
        for source in self.sources:
            if isinstance(source, KinesisMapping):
                for age in source.iterator_ages().values():
                    if age is not None:
                        name = source.target.identity.function_name
                        by_function[name] = max(age, by_function.get(name, 0.0))
        if not by_function:
            return
        try:
            if self._cloudwatch is None:
                self._cloudwatch = self._client("cloudwatch")
            self._cloudwatch.put_metric_data(
                Namespace="AWS/Lambda",
                MetricData=[
                    {
                        "MetricName": "IteratorAge",
                        "Dimensions": [{"Name": "FunctionName", "Value": name}],
                        "Value": age,
                        "Unit": "Milliseconds",
                    }
                    for name, age in by_function.items()
                ],
            )
        except Exception as err:
            log.debug("IteratorAge metric not written: %s", err)
