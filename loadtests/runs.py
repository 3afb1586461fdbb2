"""The measured runs of ``make bench``: the optimised fan-out through the stack's HTTP API,
and the naive variant (``naive/app.py``) on its own runtime. Each posts a warm-up first
(not measured), then opens its window (``window.py``), posts the run's posts and waits
for every feed entry.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import boto3
import requests

from chalicelib.domain.posts import YUBL_POSTED
from chalicelib.domain.routing import DEFAULT_ROUTES
from devstack.processes import Child, start_child
from devstack.stack import PROJECT_DIR

from .bench_stack import Setup
from .calls import merge
from .counting import Tally, count_calls, difference
from .feedlog import FeedLog, parse_time
from .floor import PostShape
from .graph import BenchSettings, FollowerGraph
from .inactive import expected_entries
from .raw_rate import create_feed_table
from .signin import SignIn
from .variant import Observed, wait_for_entries
from .window import Window

__all__ = ["EVENT_GROUPS", "run_naive", "run_optimised"]

LOADTESTS_DIR = Path(__file__).resolve().parent
NAIVE_DIR = LOADTESTS_DIR / "naive"
NAIVE_STAGE = "bench"
Progress = Callable[[str], None]
Post = Callable[[str], tuple[str, str]]  # author -> (yubl id, posted_at)
WARM_AUTHOR, WARM_FOLLOWER = "bench-warm-up", "bench-warm-up-follower"
# subscriber groups a yubl-posted event reaches once, beside the follower fan-out (feed):
# one PublishBatch each per post (the local stage keeps the default routing)
EVENT_GROUPS = len(DEFAULT_ROUTES[YUBL_POSTED]) - 1


def _envelope_bytes(yubl: dict[str, str]) -> int:
    message = {"type": "feed-fanout", "yubl": yubl, "followers": []}
    return len(json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode())


def _warm_up(
    name: str, log_path: Path, post: Post, progress: Progress, archived: bool = False
) -> None:
    """One post of WARM_AUTHOR, not measured: every function is loaded and every client
    built (Lambda's cold start) before the measured posts; with ``archived``, until the
    archive worker is done with it too (its calls would fall in the window)."""
    log = FeedLog(log_path, posted_at={})
    yubl_id, posted_at = post(WARM_AUTHOR)
    log.posted_at[yubl_id] = parse_time(posted_at)
    if not wait_for_entries(f"{name} warm-up", log, 1, 120, progress, archived=archived):
        done = "its follower's feed and the archive" if archived else "its follower's feed"
        raise RuntimeError(f"{name}: the warm-up post never reached {done}")


def _post_all(
    graph: FollowerGraph, post: Post, log: FeedLog, settings: BenchSettings
) -> dict[str, str]:
    """Post every post of ``graph`` in order; the posted_at the API answered, by yubl id."""
    answered: dict[str, str] = {}
    for author in graph.posts:
        yubl_id, posted_at = post(author)
        log.posted_at[yubl_id] = parse_time(posted_at)
        log.followers_of[yubl_id] = len(graph.followers[author])
        log.author_of[yubl_id] = author
        answered[yubl_id] = posted_at
        time.sleep(settings.post_interval_ms / 1000)
    return answered


def _api_poster(setup: Setup, settings: BenchSettings, progress: Progress) -> Post:
    """POST /yubls as each author, signed in through the local pool beforehand."""
    text = "x" * settings.text_bytes
    session = requests.Session()
    users = SignIn(boto3.client("cognito-idp"), "local")
    authors = sorted({WARM_AUTHOR, *setup.graph.posts})
    progress(f"optimised: signing {len(authors) + 1} users in through the local pool")
    for user in [*authors, WARM_FOLLOWER]:  # before the measured window
        users.headers(user)
    session.put(
        f"{setup.stack.api_url}/users/{WARM_AUTHOR}/followers/{WARM_FOLLOWER}",
        headers=users.headers(WARM_FOLLOWER),
    ).raise_for_status()

    def post(author: str) -> tuple[str, str]:
        answer = session.post(
            f"{setup.stack.api_url}/yubls", json={"text": text}, headers=users.headers(author)
        )
        answer.raise_for_status()
        body = answer.json()
        return str(body["yubl_id"]), str(body["posted_at"])

    return post


def run_optimised(
    setup: Setup, settings: BenchSettings, progress: Progress
) -> tuple[Observed, list[PostShape]]:
    """The stack's own fan-out; also each post's shape, for its floor."""
    graph, stack = setup.graph, setup.stack
    post = _api_poster(setup, settings, progress)
    _warm_up("optimised", stack.log_dir / "stack.log", post, progress, archived=True)
    processes = stack.processes()
    window = Window(setup.counts_dir, [processes["runtime"], processes["api"]], processes)
    window.open()
    log = FeedLog(stack.log_dir / "stack.log", posted_at={})
    answered = _post_all(graph, post, log, settings)
    progress(f"optimised: {len(graph.posts)} posts accepted by POST /yubls")
    expected = expected_entries(graph, setup.inactive)
    complete = wait_for_entries(
        "optimised", log, expected, settings.timeout_s, progress, archived=True
    )
    seen = window.close()
    observed = Observed(
        "optimised",
        expected,
        log,
        seen.calls,
        seen.seconds_by_op,
        complete,
        seen.cpu_seconds,
        seen.cpu_window_s,
    )
    return observed, _shapes(setup, log, answered, "x" * settings.text_bytes)


def _shapes(setup: Setup, log: FeedLog, answered: dict[str, str], text: str) -> list[PostShape]:
    """Each post's shape for the floor: its followers, its group message's envelope,
    the other subscriber groups it reaches, and its active followers when the workers
    look followers up (with ``FANOUT_ACTIVE_DAYS=0`` they write to all and look nobody
    up, so the floor has no lookups either)."""
    shapes = []
    for yubl_id, posted_at in answered.items():
        author = log.author_of[yubl_id]
        yubl = {"yubl_id": yubl_id, "author_id": author, "text": text, "posted_at": posted_at}
        followers = setup.graph.followers[author]
        active = sum(1 for f in followers if f not in setup.inactive) if setup.looks_up else None
        shapes.append(PostShape(author, followers, _envelope_bytes(yubl), EVENT_GROUPS, active))
    return shapes


def _naive_names() -> dict[str, str]:
    config = json.loads((NAIVE_DIR / ".chalice" / "config.json").read_text())
    return dict(config["stages"][NAIVE_STAGE]["environment_variables"])


def _create_naive_resources(names: dict[str, str]) -> None:
    kinesis = boto3.client("kinesis")
    kinesis.create_stream(StreamName=names["NAIVE_STREAM"], ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(
        StreamName=names["NAIVE_STREAM"], WaiterConfig={"Delay": 0.2}
    )
    boto3.client("sns").create_topic(Name=names["NAIVE_TOPIC"])
    create_feed_table(boto3.client("dynamodb"), names["NAIVE_FEEDS_TABLE"])


def _start_naive_runtime(setup: Setup, names: dict[str, str], log_file: Path) -> Child:
    env = {
        **setup.stack.environment(),
        **names,
        "NAIVE_LOG_FILE": str(log_file),
        "LOCAL_RUNTIME_STATUS_INTERVAL": "0",
    }
    argv = [sys.executable, "-m", "local_runtime", "--project-dir", str(NAIVE_DIR)]
    return start_child(
        "naive-runtime",
        [*argv, "--stage", NAIVE_STAGE],
        env,
        setup.stack.log_dir,
        PROJECT_DIR,
        echo=False,
    )


def run_naive(
    setup: Setup, graph: FollowerGraph, settings: BenchSettings, progress: Progress
) -> Observed:
    """The naive variant on ``graph``'s posts (a share of the run's: it is slow), put
    straight on its own stream; its calls counted in its runtime and in this process."""
    names = _naive_names()
    _create_naive_resources(names)
    log_file = setup.stack.log_dir / "naive.log"
    runtime = _start_naive_runtime(setup, names, log_file)
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
        _warm_up("naive", log_file, post, progress)
        emulator = setup.stack.processes()["emulator"]
        pid = runtime.process.pid
        window = Window(setup.counts_dir, [pid], {"emulator": emulator, "runtime": pid})
        window.open()
        put_before = dict(poster.snapshot()["calls"])
        log = FeedLog(log_file, posted_at={})
        _post_all(graph, post, log, settings)
        progress(f"naive: {len(graph.posts)} posts put on {names['NAIVE_STREAM']}")
        complete = wait_for_entries("naive", log, graph.entries, settings.timeout_s, progress)
        seen = window.close()
    finally:
        runtime.stop()
    calls = merge([seen.calls, difference(poster.snapshot()["calls"], put_before)])
    return Observed(
        "naive",
        graph.entries,
        log,
        calls,
        seen.seconds_by_op,
        complete,
        seen.cpu_seconds,
        seen.cpu_window_s,
    )
