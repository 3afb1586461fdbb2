"""Counts every AWS API call a process makes, per operation, with a botocore event hook.

Two ways in: ``count_calls(client, tally)`` hooks one client of this process, and
``initialize_client_plugin`` is botocore's plugin entry point, so a child process
started with ``BOTOCORE_EXPERIMENTAL__PLUGINS=bench_counts=loadtests.counting`` hooks
every client it creates (boto3 and PynamoDB alike) without a line of its code
changed. Such a process writes its tally to ``$BENCH_COUNTS_DIR/<pid>.json`` every
``DUMP_INTERVAL`` seconds; the benchmark reads the files and takes differences.
Calls are counted on ``before-parameter-build`` (it sees the call's own parameters, so
the table a call names can be told), once per API call: botocore's own retries of a
throttled call happen inside it and are not counted again. Timed to ``after-call``.
"""

from __future__ import annotations

import atexit
import json
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "PLUGIN_ENV",
    "Tally",
    "count_calls",
    "difference",
    "initialize_client_plugin",
    "plugin_environment",
    "read_tallies",
]

PLUGIN_ENV = "BOTOCORE_EXPERIMENTAL__PLUGINS"
COUNTS_DIR_ENV = "BENCH_COUNTS_DIR"
DUMP_INTERVAL = 0.25
CHECKPOINT_TABLE_ENV = "LOCAL_RUNTIME_CHECKPOINT_TABLE"
CHECKPOINT_TABLE = "local-runtime-checkpoints"  # local_runtime's default


@dataclass
class Tally:
    """Calls and seconds per operation name (``BatchWriteItem``), thread-safe."""

    calls: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def started(self, operation: str) -> None:
        with self._lock:
            self.calls[operation] = self.calls.get(operation, 0) + 1

    def finished(self, operation: str, seconds: float) -> None:
        with self._lock:
            self.seconds[operation] = self.seconds.get(operation, 0.0) + seconds

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"calls": dict(self.calls), "seconds": dict(self.seconds)}


def _table_of(params: Any) -> str | None:
    """The table a call names: ``TableName``, or a batch call's one table."""
    if not isinstance(params, dict):
        return None
    if params.get("TableName"):
        return str(params["TableName"])
    batch = params.get("RequestItems")
    return str(next(iter(batch))) if isinstance(batch, dict) and len(batch) == 1 else None


def _name(operation: str, params: Any) -> str:
    """The operation's name; the local runtime's own checkpoint writes are named apart
    (``LocalRuntime.PutItem``): on AWS the Lambda service makes them, unbilled; so are the
    config client's reads of the config table (``Config.GetItem``), paced by its TTL; and
    Queries of the feeds table (``Feeds.Query``: on the write path, capped feeds' trims); and
    the accounts' bookkeeping (``Accounts.BatchGetItem``: an author's status per post and per
    archive object, ``Accounts.BatchWriteItem``: the archive index per object), so the feed's
    own BatchGetItem and BatchWriteItem stay apart. With ``BENCH_COUNT_TABLES=1`` a call
    naming a table is counted as ``Query@relationships-local``."""
    table = _table_of(params)
    if table and table == os.environ.get(CHECKPOINT_TABLE_ENV, CHECKPOINT_TABLE):
        return f"LocalRuntime.{operation}"
    if table and table == os.environ.get("CONFIG_TABLE"):
        # the config client's reads: one per key and cache TTL, whatever the posts
        return f"Config.{operation}"
    if table and table in (os.environ.get("USERS_TABLE"), os.environ.get("ARCHIVE_INDEX_TABLE")):
        return f"Accounts.{operation}"
    if table and operation == "Query" and table == os.environ.get("FEEDS_TABLE"):
        # on the write path only a capped feed's trim Queries the feeds table; drawn by a
        # hash of random yubl ids, so a run's count is apart from the exact per-post calls
        return f"Feeds.{operation}"
    if os.environ.get("BENCH_COUNT_TABLES") and table:
        return f"{operation}@{table}"
    return operation


def count_calls(client: Any, tally: Tally) -> Any:
    """Hook ``client`` so that each of its API calls is counted and timed in ``tally``."""

    def before(model: Any, params: Any, context: dict[str, Any], **_: Any) -> None:
        name = _name(model.name, params)
        context["bench_call"] = (name, time.perf_counter())
        tally.started(name)

    def after(context: dict[str, Any], **_: Any) -> None:
        call = context.get("bench_call")
        if call is not None:
            tally.finished(call[0], time.perf_counter() - call[1])

    client.meta.events.register("before-parameter-build.*.*", before)
    client.meta.events.register("after-call.*.*", after)
    return client


_process_tally: Tally | None = None
_process_lock = threading.Lock()


def _dump(tally: Tally, path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    try:
        tmp.write_text(json.dumps({**tally.snapshot(), "at": time.time()}))
        tmp.replace(path)
    except OSError:
        pass  # the directory went away with its run; nobody reads this tally any more


def _start_process_tally() -> Tally | None:
    global _process_tally
    directory = os.environ.get(COUNTS_DIR_ENV, "").strip()
    if not directory:
        return None
    with _process_lock:
        if _process_tally is None:
            tally = Tally()
            path = Path(directory) / f"{os.getpid()}.json"
            path.parent.mkdir(parents=True, exist_ok=True)

            def loop() -> None:
                while path.parent.is_dir():  # gone: the run that reads it is over
                    _dump(tally, path)
                    time.sleep(DUMP_INTERVAL)

            threading.Thread(target=loop, name="bench-counts", daemon=True).start()
            atexit.register(_dump, tally, path)
            _process_tally = tally
        return _process_tally


def initialize_client_plugin(client: Any) -> None:
    """botocore's plugin entry point: called for every client the process creates."""
    tally = _start_process_tally()
    if tally is not None:
        count_calls(client, tally)


def plugin_environment(counts_dir: Path) -> dict[str, str]:
    """What a child process needs in its environment to count its calls into ``counts_dir``."""
    return {PLUGIN_ENV: "bench_counts=loadtests.counting", COUNTS_DIR_ENV: str(counts_dir)}


def read_tallies(counts_dir: Path) -> dict[str, dict[str, Any]]:
    """The latest tally of every counting process, by pid."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(counts_dir.glob("*.json")):
        try:
            found[path.stem] = json.loads(path.read_text())
        except (OSError, ValueError):
            continue  # being replaced right now; the next read finds it
    return found


def difference(after: Mapping[str, int], before: Mapping[str, int]) -> dict[str, int]:
    """Calls made between two snapshots, operations with none left out."""
    return {op: n - before.get(op, 0) for op, n in after.items() if n - before.get(op, 0)}
