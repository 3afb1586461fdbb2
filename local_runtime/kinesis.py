"""Kinesis event source mappings: one function on one stream, shard by shard.

Finds the shards, loads their checkpoints from the lease table, opens a ShardPoller per
shard that may be read (parents drained first), and keeps looking for new shards so a
resharded stream is followed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from local_runtime.checkpoints import Checkpoint, CheckpointStore
from local_runtime.config import ConfigError, KinesisSettings
from local_runtime.destinations import Destination
from local_runtime.retrying import StuckReasons, describe_error
from local_runtime.shard import ShardPoller
from local_runtime.shard_context import ShardContext
from local_runtime.target import FunctionTarget

__all__ = ["KinesisMapping"]

log = logging.getLogger("local_runtime")


class KinesisMapping:
    """One function's mapping on one stream: shards, their checkpoints, resharding."""

    def __init__(
        self,
        *,
        target: FunctionTarget,
        stream_name: str,
        settings: KinesisSettings,
        kinesis: Any,
        store: CheckpointStore,
        destination: Destination | None,
        region: str,
        lease_key: str,
        stopping: threading.Event,
        poll_interval: float,
        retry_delays: tuple[float, float],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.target = target
        self.clock = clock
        self.stream_name = stream_name
        self.settings = settings
        self.kinesis = kinesis
        self.store = store
        self.destination = destination
        self.region = region
        self.lease_key = lease_key
        self.stopping = stopping
        self.poll_interval = poll_interval
        self._retry_delays = retry_delays
        self.stream_arn = ""
        self.pollers: dict[str, ShardPoller] = {}
        self._ended: set[str] = set()
        self._lock = threading.Lock()
        self._supervisor: threading.Thread | None = None
        self._first_start = False
        self._context: ShardContext | None = None
        self.stuck = StuckReasons()

    @property
    def description(self) -> str:
        state = "" if self.settings.enabled else " (disabled)"
        return f"{self.target.name}<-kinesis {self.stream_name}{state}"

    def start(self) -> None:
        if not self.settings.enabled:
            log.info("%s: disabled (Enabled=false); checkpoints kept", self.description)
            return
        try:
            summary = self.kinesis.describe_stream_summary(StreamName=self.stream_name)
        except ClientError as err:
            raise ConfigError(
                f"{self.target.name}: Kinesis stream {self.stream_name} cannot be read "
                f"({err.response['Error']['Code']})"
            ) from None
        self.stream_arn = summary["StreamDescriptionSummary"]["StreamARN"]
        self._context = ShardContext(
            target=self.target,
            settings=self.settings,
            kinesis=self.kinesis,
            stream_name=self.stream_name,
            stream_arn=self.stream_arn,
            region=self.region,
            store=self.store,
            lease_key=self.lease_key,
            destination=self.destination,
            stopping=self.stopping,
            poll_interval=self.poll_interval,
            retry_delays=self._retry_delays,
            clock=self.clock,
            shard_ended=self.shard_finished,
        )
        checkpoints = self.store.load(self.lease_key)
        self._first_start = not checkpoints
        self._ended = {shard for shard, cp in checkpoints.items() if cp.shard_end}
        shards = self._list_shards()
        if self._first_start and self.settings.starting_position == "LATEST":
            for shard in shards:
                if "EndingSequenceNumber" in shard["SequenceNumberRange"]:
                    self.store.save(self.lease_key, shard["ShardId"], Checkpoint(shard_end=True))
                    self._ended.add(shard["ShardId"])
        self._start_ready_shards(shards, checkpoints, discovered_later=not self._first_start)
        self._supervisor = threading.Thread(
            target=self._supervise, name=f"{self.description}:shards", daemon=True
        )
        self._supervisor.start()

    def _list_shards(self) -> list[dict[str, Any]]:
        shards: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"StreamName": self.stream_name}
        while True:
            page = self.kinesis.list_shards(**kwargs)
            shards.extend(page["Shards"])
            token = page.get("NextToken")
            if not token:
                return shards
            kwargs = {"NextToken": token}

    def _start_ready_shards(
        self,
        shards: list[dict[str, Any]],
        checkpoints: dict[str, Checkpoint],
        discovered_later: bool,
    ) -> None:
        known = {shard["ShardId"] for shard in shards}
        started: list[ShardPoller] = []
        with self._lock:
            for shard in shards:
                shard_id = shard["ShardId"]
                ending = shard["SequenceNumberRange"].get("EndingSequenceNumber")
                poller = self.pollers.get(shard_id)
                if poller is not None:
                    poller.ending = ending
                    continue
                if shard_id in self._ended:
                    continue
                parents = [shard.get("ParentShardId"), shard.get("AdjacentParentShardId")]
                live_parents = [p for p in parents if p and p in known]
                if any(p not in self._ended for p in live_parents):
                    continue  # parents first, as Lambda drains them before their children
                assert self._context is not None  # set by start()
                poller = ShardPoller(self._context, shard_id, ending)
                poller.open(
                    checkpoints.get(shard_id), trim_horizon=discovered_later and bool(live_parents)
                )
                self.pollers[shard_id] = poller
                started.append(poller)
        for poller in started:
            poller.start()

    def _supervise(self) -> None:
        """Look for new shards every few seconds; a failed look is retried, never fatal."""
        while not self.stopping.wait(max(self.poll_interval * 5, 1.0)):
            try:
                self._start_ready_shards(self._list_shards(), {}, discovered_later=True)
            except Exception as err:
                if self.stopping.is_set():
                    return
                first = self.stuck.describe() is None
                self.stuck.set(
                    "discovery", f"stuck: shard discovery failed ({describe_error(err)})"
                )
                if first:
                    log.warning("%s: shard discovery failed, retrying: %s", self.description, err)
                continue
            if self.stuck.describe() is not None:
                self.stuck.clear("discovery")
                log.warning("%s: shard discovery works again", self.description)

    def shard_finished(self, shard_id: str) -> None:
        with self._lock:
            self._ended.add(shard_id)
        if not self.stopping.is_set():
            try:
                self._start_ready_shards(self._list_shards(), {}, discovered_later=True)
            except Exception:
                log.exception("%s: starting child shards failed", self.description)

    def join(self, timeout: float) -> None:
        for poller in list(self.pollers.values()):
            poller.join(timeout)
        if self._supervisor is not None:
            self._supervisor.join(timeout)

    def failure(self) -> BaseException | None:
        for poller in list(self.pollers.values()):
            if poller.liveness.error is not None:
                return poller.liveness.error
        return None

    def idle_since(self, since: float) -> bool:
        if not self.settings.enabled:
            return True
        if self.stuck.describe() is not None:
            return False
        return all(p.idle_since(since) for p in list(self.pollers.values()))

    def status_lines(self) -> list[str]:
        stuck = self.stuck.describe()
        mapping = [f"{self.description} {stuck}"] if stuck else []
        return mapping + [p.status() for p in list(self.pollers.values())]

    def iterator_ages(self) -> dict[str, float | None]:
        return {shard: p.iterator_age_ms for shard, p in list(self.pollers.items())}
