"""``make bench``: the fan-out benchmark on a fresh local stack on free ports.

Builds the follower graph (``graph.py``), measures the emulator's raw BatchWriteItem
rate, posts through the HTTP API and waits for every feed entry, then runs the naive
variant (``naive/app.py``) on the same graph, and the write units per feed entry
(``entry_units.py``). Calls are counted inside the API and runtime processes by a
botocore plugin (``counting.py``); latencies come from the workers' log lines. Progress
goes to standard output; the last line is one JSON object.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import requests

from chalicelib.domain.posts import YUBL_POSTED
from chalicelib.domain.routing import DEFAULT_ROUTES
from devstack.emulator import free_port
from devstack.processes import Child, start_child
from devstack.stack import PROJECT_DIR, LocalStack

from .calls import merge
from .cost import costs, load_pricing, table
from .counting import Tally, count_calls, difference, plugin_environment, read_tallies
from .entry_units import measure_entry_units, summary
from .feedlog import FeedLog, parse_time
from .floor import PostShape, run_floor
from .graph import BenchSettings, FollowerGraph, build_graph
from .inactive import choose_inactive, expected_entries, logged_skips, savings, seed_activity
from .plots import plot_run
from .raw_rate import create_feed_table, measure_raw_rate
from .signin import SignIn
from .tradeoff import TradeoffSettings, local_stage_environment, measure_tradeoff
from .variant import Observed, figures, wait_for_entries

__all__ = ["main", "run"]

LOADTESTS_DIR = Path(__file__).resolve().parent
NAIVE_DIR = LOADTESTS_DIR / "naive"
NAIVE_STAGE = "bench"
Progress = Callable[[str], None]
WARM_AUTHOR, WARM_FOLLOWER = "bench-warm-up", "bench-warm-up-follower"
# subscriber groups a yubl-posted event reaches once, beside the follower fan-out (feed):
# one PublishBatch each per post (the local stage keeps the default routing)
EVENT_GROUPS = len(DEFAULT_ROUTES[YUBL_POSTED]) - 1


def _say(message: str) -> None:
    print(f"[bench] {message}", flush=True)


def _naive_names() -> dict[str, str]:
    config = json.loads((NAIVE_DIR / ".chalice" / "config.json").read_text())
    return dict(config["stages"][NAIVE_STAGE]["environment_variables"])


@dataclass
class _BenchStack(LocalStack):
    """The local stack whose child processes count their AWS calls."""

    extra_env: dict[str, str] = field(default_factory=dict)

    def environment(self) -> dict[str, str]:
        return {**super().environment(), **self.extra_env}


def _stage_setting(name: str, default: int) -> int:
    """An integer setting of the local stage as the stack's functions read it."""
    config = json.loads((PROJECT_DIR / ".chalice" / "config.json").read_text())
    env = {**config["environment_variables"], **config["stages"]["local"]["environment_variables"]}
    return int(os.environ.get(name) or env.get(name) or default)


def _seed(graph: FollowerGraph, table: str, progress: Progress) -> None:
    rows = [(a, f) for a, followers in graph.followers.items() for f in followers]
    with boto3.resource("dynamodb").Table(table).batch_writer() as writer:
        for i, (author, follower) in enumerate(rows, 1):
            writer.put_item(Item={"user_id": author, "follower_id": follower})
            if i % 5000 == 0:
                progress(f"seeding the follower graph: {i:,}/{len(rows):,} relationships")
    progress(f"seeded {len(rows):,} relationships of {len(graph.followers)} authors")


def _envelope_bytes(yubl: dict[str, str]) -> int:
    message = {"type": "feed-fanout", "yubl": yubl, "followers": []}
    return len(json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode())


def _item_bytes(item: dict[str, str]) -> int:
    return sum(len(k.encode()) + len(v.encode()) for k, v in item.items())


def _shape(graph: FollowerGraph, text: str, envelope_bytes: int) -> dict[str, int]:
    """Sizes the cost model needs: a record, a feed item, a message's envelope, the
    follower ids' share of messages, and the bytes of relationships the posts read."""
    yubl = {
        "yubl_id": "1795447800123-9f2c4e1a0b3d",
        "author_id": graph.posts[0] if graph.posts else "",
        "text": text,
        "posted_at": "2026-11-23T15:30:00.123Z",
    }
    followers = [f for a in graph.posts for f in graph.followers[a]]
    return {
        "record_bytes": len(json.dumps({**yubl, "__context__": {"x-correlation-id": "x" * 36}})),
        "feed_item_bytes": _item_bytes({**yubl, "user_id": "u000000"}),
        "message_envelope_bytes": envelope_bytes,
        "follower_bytes": round(sum(len(f) + 3 for f in followers) / max(1, len(followers))),
        "relationship_bytes": sum(
            _item_bytes({"user_id": a, "follower_id": f})
            for a in graph.posts
            for f in graph.followers[a]
        ),
    }


def _tally_calls(counts_dir: Path, pids: list[int]) -> tuple[dict[str, int], dict[str, float]]:
    tallies = read_tallies(counts_dir)
    chosen = [tallies.get(str(pid), {}) for pid in pids]
    calls = merge(t.get("calls", {}) for t in chosen)
    seconds: dict[str, float] = {}
    for t in chosen:
        for op, s in t.get("seconds", {}).items():
            seconds[op] = seconds.get(op, 0.0) + s
    return calls, seconds


def _settle(counts_dir: Path, pids: list[int], timeout: float = 60.0) -> None:
    """Until every counting process of ``pids`` has written a tally begun after this call,
    so it holds every call made before. A fixed second was once too short for a dumping
    thread on a loaded machine: the warm-up's last calls were counted as measured ones."""
    since, deadline = time.time(), time.monotonic() + timeout
    while time.monotonic() < deadline:
        tallies = read_tallies(counts_dir)
        if all(tallies[str(pid)].get("at", 0.0) > since for pid in pids if str(pid) in tallies):
            return
        time.sleep(0.05)


def _warm_up(name: str, log_path: Path, post: Callable[[str], tuple[str, str]]) -> None:
    """One post of WARM_AUTHOR, not measured: every function is loaded and every client
    built (Lambda's cold start) before the measured posts."""
    log = FeedLog(log_path, posted_at={})
    yubl_id, posted_at = post(WARM_AUTHOR)
    log.posted_at[yubl_id] = parse_time(posted_at)
    if not wait_for_entries(f"{name} warm-up", log, 1, 120, _say):
        raise RuntimeError(f"{name}: the warm-up post never reached its follower's feed")


def _run_optimised(
    stack: _BenchStack,
    graph: FollowerGraph,
    settings: BenchSettings,
    counts_dir: Path,
    inactive: set[str],
) -> tuple[Observed, list[PostShape]]:
    pids = [c.process.pid for c in stack.children]
    text = "x" * settings.text_bytes
    session = requests.Session()
    users = SignIn(boto3.client("cognito-idp"), "local")
    authors = sorted({WARM_AUTHOR, *graph.posts})
    _say(f"optimised: signing {len(authors) + 1} users in through the local pool")
    for user in [*authors, WARM_FOLLOWER]:  # before the measured window
        users.headers(user)

    def post(author: str) -> tuple[str, str]:
        answer = session.post(
            f"{stack.api_url}/yubls", json={"text": text}, headers=users.headers(author)
        )
        answer.raise_for_status()
        body = answer.json()
        return str(body["yubl_id"]), str(body["posted_at"])

    session.put(
        f"{stack.api_url}/users/{WARM_AUTHOR}/followers/{WARM_FOLLOWER}",
        headers=users.headers(WARM_FOLLOWER),
    ).raise_for_status()
    _warm_up("optimised", stack.log_dir / "stack.log", post)
    _settle(counts_dir, pids)
    calls_before, seconds_before = _tally_calls(counts_dir, pids)
    log = FeedLog(stack.log_dir / "stack.log", posted_at={})
    shapes: list[PostShape] = []
    for author in graph.posts:
        yubl_id, posted_at = post(author)
        log.posted_at[yubl_id] = parse_time(posted_at)
        log.followers_of[yubl_id] = len(graph.followers[author])
        time.sleep(settings.post_interval_ms / 1000)
        yubl = {"yubl_id": yubl_id, "author_id": author, "text": text, "posted_at": posted_at}
        active = sum(1 for f in graph.followers[author] if f not in inactive)
        shapes.append(
            PostShape(author, graph.followers[author], _envelope_bytes(yubl), EVENT_GROUPS, active)
        )
    _say(f"optimised: {len(graph.posts)} posts accepted by POST /yubls")
    expected = expected_entries(graph, inactive)
    complete = wait_for_entries("optimised", log, expected, settings.timeout_s, _say)
    _settle(counts_dir, pids)
    calls_after, seconds_after = _tally_calls(counts_dir, pids)
    seconds = {op: s - seconds_before.get(op, 0.0) for op, s in seconds_after.items()}
    return Observed(
        "optimised", expected, log, difference(calls_after, calls_before), seconds, complete
    ), shapes


def _create_naive_resources(names: dict[str, str]) -> None:
    kinesis = boto3.client("kinesis")
    kinesis.create_stream(StreamName=names["NAIVE_STREAM"], ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(
        StreamName=names["NAIVE_STREAM"], WaiterConfig={"Delay": 0.2}
    )
    boto3.client("sns").create_topic(Name=names["NAIVE_TOPIC"])
    create_feed_table(boto3.client("dynamodb"), names["NAIVE_FEEDS_TABLE"])


def _run_naive(
    stack: _BenchStack, graph: FollowerGraph, settings: BenchSettings, counts_dir: Path
) -> Observed:
    names = _naive_names()
    _create_naive_resources(names)
    log_file = stack.log_dir / "naive.log"
    env = {
        **stack.environment(),
        **names,
        "NAIVE_LOG_FILE": str(log_file),
        "LOCAL_RUNTIME_STATUS_INTERVAL": "0",
    }
    runtime: Child = start_child(
        "naive-runtime",
        [
            sys.executable,
            "-m",
            "local_runtime",
            "--project-dir",
            str(NAIVE_DIR),
            "--stage",
            NAIVE_STAGE,
        ],
        env,
        stack.log_dir,
        PROJECT_DIR,
        echo=False,
    )
    poster = Tally()
    kinesis = count_calls(boto3.session.Session().client("kinesis"), poster)
    text = "x" * settings.text_bytes
    serial = iter(range(10**9))

    def post(author: str) -> tuple[str, str]:
        now = datetime.now(UTC)
        posted_at = now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
        yubl_id = f"{int(now.timestamp() * 1000)}-naive{next(serial):07d}"
        record = {"yubl_id": yubl_id, "author_id": author, "text": text, "posted_at": posted_at}
        kinesis.put_record(
            StreamName=names["NAIVE_STREAM"], Data=json.dumps(record), PartitionKey=author
        )
        return yubl_id, posted_at

    try:
        runtime.wait_for_line("ready", timeout=120)
        _warm_up("naive", log_file, post)
        _settle(counts_dir, [runtime.process.pid])
        before, seconds_before = _tally_calls(counts_dir, [runtime.process.pid])
        put_before = dict(poster.snapshot()["calls"])
        log = FeedLog(log_file, posted_at={})
        for author in graph.posts:
            yubl_id, posted_at = post(author)
            log.posted_at[yubl_id] = parse_time(posted_at)
            log.followers_of[yubl_id] = len(graph.followers[author])
            time.sleep(settings.post_interval_ms / 1000)
        _say(f"naive: {len(graph.posts)} posts put on {names['NAIVE_STREAM']}")
        complete = wait_for_entries("naive", log, graph.entries, settings.timeout_s, _say)
        _settle(counts_dir, [runtime.process.pid])
        after, seconds_after = _tally_calls(counts_dir, [runtime.process.pid])
    finally:
        runtime.stop()
    calls = merge([difference(after, before), difference(poster.snapshot()["calls"], put_before)])
    seconds = {op: s - seconds_before.get(op, 0.0) for op, s in seconds_after.items()}
    return Observed("naive", graph.entries, log, calls, seconds, complete)


def run(
    settings: BenchSettings,
    run_dir: Path,
    progress: Progress = _say,
    tradeoff_settings: TradeoffSettings | None = None,
) -> dict[str, Any]:
    """The whole benchmark; returns the JSON object (also written to ``run_dir``).
    With ``tradeoff_settings``, the celebrity trade-off too (``tradeoff.py``)."""
    graph = build_graph(settings)
    progress(
        f"graph: {len(graph.followers)} authors, {len(graph.posts)} posts, "
        f"{graph.entries:,} feed entries to write"
    )
    counts_dir = run_dir / "counts"
    stack = _BenchStack(
        aws_port=free_port(),
        api_port=free_port(),
        echo=False,
        log_dir=run_dir / "logs",
        emulator_request_log=False,  # 15 % of the emulator's time (py-spy)
    )
    stack.extra_env = {
        **plugin_environment(counts_dir),
        "DEBUG_LOG_SAMPLE_RATE": "0",
    }
    progress(f"starting a fresh local stack (logs in {stack.log_dir})")
    started = time.monotonic()
    tradeoff: dict[str, Any] | None = None
    saved_environ = dict(os.environ)  # the stack sets its SDK variables here: undone below
    stack.start()
    try:
        os.environ.pop("BOTOCORE_EXPERIMENTAL__PLUGINS", None)  # the driver counts by hand
        _seed(graph, os.environ.get("RELATIONSHIPS_TABLE") or "relationships-local", progress)
        raw = None
        if settings.raw_items:
            progress(f"raw BatchWriteItem rate: {settings.raw_items:,} items per thread count")
            raw = measure_raw_rate(
                settings.raw_items, settings.raw_threads, "x" * settings.text_bytes
            )
            progress(f"raw BatchWriteItem rate: {raw['by_threads']} entries/s by threads")
        active_days = _stage_setting("FANOUT_ACTIVE_DAYS", 30)  # 0: nobody is skipped
        share = settings.inactive_percent if active_days else 0
        inactive = choose_inactive(graph, share, settings.seed)
        seed_activity(
            os.environ.get("ACTIVITY_TABLE") or "activity-local",
            graph,
            inactive,
            active_days,
            datetime.now(UTC),
            progress,
        )
        log_offset = (stack.log_dir / "stack.log").stat().st_size
        optimised, shapes = _run_optimised(stack, graph, settings, counts_dir, inactive)
        skipped = logged_skips(
            stack.log_dir / "stack.log", set(optimised.log.posted_at), log_offset
        )
        stack.children[0].stop()  # the fan-out runtime: the naive variant gets the cores
        naive, naive_floor, naive_graph = None, {}, graph
        if settings.naive:
            naive_graph = graph.first_posts(settings.naive_max_entries)
            naive = _run_naive(stack, naive_graph, settings, counts_dir)
            envelopes = {s.author_id: s.envelope_bytes for s in shapes}
            naive_floor = run_floor(
                PostShape(a, graph.followers[a], envelopes[a]) for a in naive_graph.posts
            )
        if tradeoff_settings is not None and tradeoff_settings.enabled:
            tradeoff = measure_tradeoff(tradeoff_settings, progress, local_stage_environment())
        entry_units = measure_entry_units(local_stage_environment(), progress)
    finally:
        stack.stop()
        os.environ.clear()
        os.environ.update(saved_environ)
    floor = run_floor(shapes)
    raw_rate = raw["entries_per_s"] if raw else None
    text = "x" * settings.text_bytes
    envelope = max((s.envelope_bytes for s in shapes), default=0)
    result = figures(optimised, floor, raw_rate, _shape(graph, text, envelope))
    result["raw_batch_write_entries_per_s"] = raw_rate
    result["inactive"] = savings(
        graph,
        inactive,
        share,
        _stage_setting("FOLLOWER_GROUP_SIZE", 500),
        {
            "entries_written": len(optimised.log.written),
            "entries_skipped": skipped,
            "batch_write_calls": optimised.calls.get("BatchWriteItem", 0),
            "batch_get_calls": optimised.calls.get("BatchGetItem", 0),
        },
        load_pricing()["prices"],
    )
    result["raw_batch_write"] = raw
    result["floor"] = floor
    result["naive"] = (
        figures(naive, naive_floor, raw_rate, _shape(naive_graph, text, envelope))
        if naive
        else None
    )
    result["celebrity_tradeoff"] = tradeoff
    result["entry_write_units"] = entry_units
    result["settings"] = {k: v for k, v in vars(settings).items()}
    result["wall_seconds"] = round(time.monotonic() - started, 1)
    result["run_dir"] = str(run_dir)
    result["date"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    _save(run_dir, result, optimised, naive)
    return result


def _save(run_dir: Path, result: dict[str, Any], *observed: Observed | None) -> None:
    (run_dir / "bench.json").write_text(json.dumps(result, indent=2) + "\n")
    samples = {
        o.name: {
            "posted_at": o.log.posted_at,
            "written": [[y, f, t] for (y, f), t in o.log.written.items()],
        }
        for o in observed
        if o is not None
    }
    (run_dir / "samples.json").write_text(json.dumps(samples))


def main() -> int:
    settings = BenchSettings.from_environ()
    results = Path(os.environ.get("BENCH_RESULTS_DIR") or LOADTESTS_DIR / "results")
    run_dir = results / f"bench-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}"
    run_dir.mkdir(parents=True, exist_ok=True)
    result = run(settings, run_dir, tradeoff_settings=TradeoffSettings.from_environ())
    found = costs(result, load_pricing())
    result["usd_per_million_posts"] = found
    (run_dir / "bench.json").write_text(json.dumps(result, indent=2) + "\n")
    for path in plot_run(run_dir):
        _say(f"plot: {path}")
    _say(f"cost, prices of {found['pricing_as_of']} (loadtests/pricing.json):")
    print(table(found), flush=True)
    _say("write units per feed entry, text in the entry (before) and reference (now):")
    print(summary(result["entry_write_units"]), flush=True)
    print(json.dumps(result, separators=(",", ":")), flush=True)
    return 0 if result["complete"] and (result["naive"] or {"complete": True})["complete"] else 1


if __name__ == "__main__":
    sys.exit(main())
