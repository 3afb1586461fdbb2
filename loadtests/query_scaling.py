"""``python -m loadtests.query_scaling``: does a read by key stay as fast as its table grows?

On ``make run``'s stack (``devstack.stack.LocalStack``), brought up twice in one run:
with stock moto's DynamoDB Query (``LOCAL_QUERY_INDEX=0``) and with the emulator's Query
by partition and index (``devstack.query_index``). Each time, a signed-in reader's feed
(``GET /users/{id}/feed``: a Query of the feeds table) and whom it follows
(``GET /users/{id}/following``: a Query of the relationships table's ``following``
GSI) are read and timed; then rows of other users are written straight to the emulator
(feed entries to the feeds table, follows to the relationships table) and the reads are
timed again. Prints the median before and after and their ratio, the two emulators side
by side; the last line is one JSON object, also saved with the stacks' logs in
``loadtests/results/query-scaling-<time>/``.

Settings: ``BENCH_QUERY_SCALING_ROWS`` (150000) rows of other users added to each table,
``BENCH_QUERY_SCALING_READS`` (20) timed reads of each kind, ``LOCAL_AWS_PORT`` and
``API_PORT`` (default: free ports) the stack's ports. A timed read is one HTTP request
from this process, answered by the API through the emulator.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import requests

from chalicelib.settings_catalog import read_int
from devstack.emulator import free_port
from devstack.stack import LocalStack

from .signin import SignIn

__all__ = ["ScalingSettings", "main", "measure"]

LOADTESTS_DIR = Path(__file__).resolve().parent
READER, POSTS, FOLLOWS = "scaling-reader", 20, 5
VARIANTS = {"stock": False, "indexed": True}  # name -> start_emulator(query_index=...)
READS = ("feed", "following")


def _say(message: str) -> None:
    print(f"[query-scaling] {message}", flush=True)


@dataclass(frozen=True)
class ScalingSettings:
    rows: int = 150_000
    reads: int = 20
    aws_port: int = 0
    api_port: int = 0

    @classmethod
    def from_environ(cls) -> ScalingSettings:
        env = os.environ
        return cls(
            rows=read_int(env, "BENCH_QUERY_SCALING_ROWS"),
            reads=read_int(env, "BENCH_QUERY_SCALING_READS"),
            aws_port=int(env.get("LOCAL_AWS_PORT") or free_port()),
            api_port=int(env.get("API_PORT") or free_port()),
        )


# -- the reader's own data, through the API ---------------------------------------------


def _wait_for(check: Callable[[], bool], what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not happen within {timeout:.0f} s")
        time.sleep(0.2)


def _reader_data(api: str, signin: SignIn) -> dict[str, str]:
    """The reader follows FOLLOWS authors, the first posts POSTS yubls, and the fan-out
    writes them into the reader's feed; the reader's signed-in headers."""
    reader = signin.headers(READER)
    authors = [f"scaling-author-{n}" for n in range(FOLLOWS)]
    for author in authors:
        answer = requests.put(
            f"{api}/users/{author}/followers/{READER}", headers=reader, timeout=30
        )
        answer.raise_for_status()
    for n in range(POSTS):
        body = {"author_id": authors[0], "text": f"post {n}"}
        answer = requests.post(
            f"{api}/yubls", json=body, headers=signin.headers(authors[0]), timeout=30
        )
        answer.raise_for_status()

    def feed_full() -> bool:
        got = requests.get(f"{api}/users/{READER}/feed?limit={POSTS}", headers=reader, timeout=30)
        return got.ok and len(got.json()["items"]) == POSTS

    _wait_for(feed_full, f"{POSTS} entries in the reader's feed")
    return reader


WARM_UP = 5  # untimed reads of each kind first: the posts' other subscriber groups end


def _timed_reads(api: str, headers: dict[str, str], reads: int) -> dict[str, float]:
    """The median milliseconds of each read, after WARM_UP untimed reads of each."""
    urls = {
        "feed": (f"{api}/users/{READER}/feed?limit={POSTS}", "items", POSTS),
        "following": (f"{api}/users/{READER}/following", "following", FOLLOWS),
    }
    medians = {}
    with requests.Session() as session:
        for name, (url, field, expected) in urls.items():
            for _ in range(WARM_UP):
                session.get(url, headers=headers, timeout=120).raise_for_status()
            times = []
            for _ in range(reads):
                started = time.perf_counter()
                answer = session.get(url, headers=headers, timeout=120)
                times.append((time.perf_counter() - started) * 1000)
                answer.raise_for_status()
                if len(answer.json()[field]) != expected:
                    raise RuntimeError(f"{url} answered {len(answer.json()[field])} {field}")
            medians[name] = round(statistics.median(times), 1)
    return medians


# -- other users' rows, straight to the emulator ----------------------------------------


def _feed_entry(n: int) -> dict[str, Any]:
    return {
        "user_id": f"other-reader-{n // 20:06d}",
        "yubl_id": f"1795447800{n:06d}-other",
        "author_id": f"other-author-{n % 997:03d}",
        "posted_at": "2026-11-23T15:30:00.123Z",
    }


def _follow(n: int) -> dict[str, Any]:
    return {"user_id": f"other-author-{n // 50:05d}", "follower_id": f"other-reader-{n:06d}"}


def _add_rows(table: str, row: Callable[[int], dict[str, Any]], rows: int, variant: str) -> None:
    """``rows`` rows through BatchWriteItem (boto3's batch writer: 25 a call, unprocessed
    items sent again), in four threads, with a progress line every 25,000."""
    started, chunk, every = time.perf_counter(), 2_500, 25_000

    def write(part: range) -> int:
        target = boto3.session.Session().resource("dynamodb").Table(table)
        with target.batch_writer() as batch:
            for n in part:
                batch.put_item(Item=row(n))
        return len(part)

    def parts() -> Iterator[range]:
        for start in range(0, rows, chunk):
            yield range(start, min(start + chunk, rows))

    done = 0
    with ThreadPoolExecutor(max_workers=4) as pool:
        for written in pool.map(write, parts()):
            done += written
            if done % every == 0 or done == rows:
                elapsed = time.perf_counter() - started
                _say(f"{variant}: {done:,} of {rows:,} rows in {table} ({elapsed:.0f} s)")


# -- one stack, and the run -------------------------------------------------------------


def measure(variant: str, settings: ScalingSettings, log_dir: Path) -> dict[str, Any]:
    """Reads before and after other users' rows, on a fresh stack with ``variant``'s Query."""
    stack = LocalStack(
        aws_port=settings.aws_port,
        api_port=settings.api_port,
        echo=False,
        log_dir=log_dir,
        emulator_request_log=False,
        query_index=VARIANTS[variant],
    )
    _say(f"{variant}: starting the local stack (logs in {log_dir})")
    stack.start()
    try:
        signin = SignIn(boto3.client("cognito-idp"), stack.stage)
        headers = _reader_data(stack.api_url, signin)
        before = _timed_reads(stack.api_url, headers, settings.reads)
        _say(f"{variant}: before {before}")
        _add_rows(f"feeds-{stack.stage}", _feed_entry, settings.rows, variant)
        _add_rows(f"relationships-{stack.stage}", _follow, settings.rows, variant)
        after = _timed_reads(stack.api_url, headers, settings.reads)
        _say(f"{variant}: after {after}")
    finally:
        stack.stop()
    return {
        name: {
            "before_ms": before[name],
            "after_ms": after[name],
            "ratio": round(after[name] / before[name], 2),
        }
        for name in READS
    }


def table(result: dict[str, Any]) -> str:
    """The figures, stock and indexed side by side."""
    rows = result["rows"]
    heading = f"median of {result['reads']} reads"
    lines = [f"{heading:<40}{'stock moto':>14}{'indexed':>14}"]
    labels = {
        "feed": "GET /users/{id}/feed (feeds table)",
        "following": "GET /users/{id}/following (GSI)",
    }
    for name in READS:
        lines.append(labels[name])
        for key, label in (
            ("before_ms", "  before, ms"),
            ("after_ms", f"  after {rows:,} other rows, ms"),
            ("ratio", "  after / before"),
        ):
            stock, indexed = (result[variant][name][key] for variant in VARIANTS)
            lines.append(f"{label:<40}{stock:>14}{indexed:>14}")
    return "\n".join(lines)


def main() -> int:
    settings = ScalingSettings.from_environ()
    results = Path(os.environ.get("BENCH_RESULTS_DIR") or LOADTESTS_DIR / "results")
    run_dir = results / f"query-scaling-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}"
    run_dir.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {"rows": settings.rows, "reads": settings.reads}
    for variant in VARIANTS:
        result[variant] = measure(variant, settings, run_dir / variant)
    (run_dir / "query-scaling.json").write_text(json.dumps(result, indent=2) + "\n")
    print(table(result), flush=True)
    print(json.dumps(result, separators=(",", ":")), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
