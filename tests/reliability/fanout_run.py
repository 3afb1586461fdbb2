"""One fan-out run under a disturbance, and the checks every reliability test makes.

``Workload``: ``posts`` posts spread over ``authors`` authors, each followed by the same
``followers`` users, so every follower's feed must end with every post exactly once
(``posts * followers`` entries). The run waits, printing progress, until the workers'
logs cover every entry and the retry and dead-letter queues are empty; the check then
reads the whole feeds table in one pass (an export). Repeated writes, which the table key
hides, are counted twice over: by the fault proxy, per item the emulator accepted, and from
the workers' "feed entries written" log lines; both must stay within ``RepeatBound``, which
is computed from what may cause a repeat, as the proxy counted it, never from the repeats.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from .pipeline import DEAD_LETTERS, FEEDS, POSTS, RETRY_QUEUE, Pipeline

__all__ = ["Outcome", "Workload", "run"]


@dataclass(frozen=True)
class Workload:
    posts: int
    authors: int
    followers: int

    @property
    def entries(self) -> int:
        return self.posts * self.followers

    def follower_ids(self) -> list[str]:
        return [f"follower-{n:05d}" for n in range(self.followers)]

    def author_ids(self) -> list[str]:
        return [f"author-{n:03d}" for n in range(self.authors)]


WRITE_BATCH = 25
"""Items per BatchWriteItem call: what one repeated write call may repeat at most."""


@dataclass(frozen=True)
class RepeatBound:
    """The most feed writes the run's disturbances may have repeated.

    Delivery is at least once, so a write repeats only where a message or a call was
    handled twice: a group message a killed runtime held (``in_hand``: redelivered once
    its hold ends), one a publisher sent again (``republished``: a dispatcher or range
    worker killed between a PublishBatch and saving its progress), an attempt of a feed
    worker that failed after some of its writes and was tried again (``failed``, from
    the workers' failure lines: an outage that cuts the tombstone read after the writes),
    each repeating at most the followers it carries (``group_size``, the largest the
    proxy saw); and a write call that met a fault or was a retry (``write_calls``), at
    most a batch each.
    """

    in_hand: int
    republished: int
    failed: int
    group_size: int
    write_calls: int

    @property
    def writes(self) -> int:
        messages = self.in_hand + self.republished + self.failed
        return self.group_size * messages + WRITE_BATCH * self.write_calls

    def __str__(self) -> str:
        return (
            f"{self.writes} = {self.group_size} x ({self.in_hand} held at kills"
            f" + {self.republished} republished + {self.failed} failed attempts)"
            f" + {WRITE_BATCH} x {self.write_calls} faulted or retried write calls"
        )


@dataclass
class Outcome:
    yubl_ids: list[str]
    entries_checked: int
    writes: int  # feed items the emulator accepted (counted by the proxy)
    repeated_writes: int  # of those, writes of a (follower, yubl) written before
    repeated_logged: int  # the same, from the workers' logs
    bound: RepeatBound  # what the run's disturbances may have repeated at most
    dead_letters: int
    parked: int
    seconds: float


PROGRESS_POLL_SECONDS = 0.25
"""Between reads of the new log lines: the end of a short run shows this soon after it."""

Disturbance = Callable[[Pipeline, float], None]
"""Called on each progress poll with the fraction of entries written so far."""


def run(
    pipeline: Pipeline,
    workload: Workload,
    disturb: Disturbance | None = None,
    timeout: float = 600,
) -> Outcome:
    started = time.monotonic()
    followers = workload.follower_ids()
    authors = workload.author_ids()
    for author in authors:
        pipeline.follow(author, followers)
    print(
        f"[reliability] set-up: {len(authors)} authors x {len(followers)} followers "
        f"in {time.monotonic() - started:.1f}s",
        flush=True,
    )
    posts = [(authors[n % len(authors)], f"post {n}") for n in range(workload.posts)]
    yubl_ids = pipeline.post(posts)
    expected = {(f, y) for f in followers for y in yubl_ids}
    last_print = 0.0
    while True:
        covered = len(expected & pipeline.logged_writes.keys()) if pipeline.read_new_writes() else 0
        fraction = covered / len(expected)
        if disturb is not None:
            disturb(pipeline, fraction)
        now = time.monotonic()
        if now - last_print > 10:
            last_print = now
            print(f"[reliability] {covered}/{len(expected)} entries written", flush=True)
            _fail_on_dead_letters(pipeline)
        if covered == len(expected) and _queues_empty(pipeline):
            break
        if now - started > timeout:
            raise AssertionError(
                f"after {timeout:.0f}s only {covered} of {len(expected)} entries were written; "
                f"runtime log: {pipeline.log_dir / 'runtime.log'}"
            )
        time.sleep(PROGRESS_POLL_SECONDS)
    print(f"[reliability] all written; checking the feeds table ({len(expected)})", flush=True)
    checking = time.monotonic()
    entries = _check_feeds(pipeline, workload, posts, yubl_ids)
    print(f"[reliability] {entries} entries checked in {time.monotonic() - checking:.0f}s")
    written = pipeline.proxy.writes
    assert written.keys() == expected, "the proxy's count of writes misses or adds entries"
    sources = pipeline.proxy.sources
    bound = RepeatBound(
        in_hand=sum(pipeline.in_hand_at_kills),
        republished=sources.republished,
        failed=pipeline.failed_feed_attempts(),
        group_size=sources.largest_group,
        write_calls=sources.write_faults + sources.write_retries,
    )
    return Outcome(
        yubl_ids=yubl_ids,
        entries_checked=entries,
        writes=written.total(),
        repeated_writes=written.total() - len(written),
        repeated_logged=pipeline.logged_writes.total() - len(pipeline.logged_writes),
        bound=bound,
        dead_letters=pipeline.queue_depth(DEAD_LETTERS),
        parked=pipeline.queue_depth(RETRY_QUEUE),
        seconds=round(time.monotonic() - started, 1),
    )


def _fail_on_dead_letters(pipeline: Pipeline) -> None:
    """A dead letter never leaves the queue by itself: say why at once, not at the timeout."""
    if pipeline.queue_depth(DEAD_LETTERS):
        reasons = Counter(pipeline.dead_letter_reasons())
        raise AssertionError(f"records were dead-lettered; some reasons: {dict(reasons)}")


def _queues_empty(pipeline: Pipeline) -> bool:
    return pipeline.queue_depth(RETRY_QUEUE) == 0 and pipeline.queue_depth(DEAD_LETTERS) == 0


def _check_feeds(
    pipeline: Pipeline, workload: Workload, posts: list[tuple[str, str]], yubl_ids: list[str]
) -> int:
    """Every follower's feed, read from the table in one pass: each post stored, a
    reference to its author's post, and nothing else; the posts table holds each text as
    posted. Returns the number of entries the feeds table holds.

    The table key (follower, yubl) keeps a repeated write from showing here, so no check
    of repeats is made on the export; they are counted by the proxy and from the
    workers' logs instead, and bounded (see ``run``).
    """
    posted = {
        yubl_id: (author, text) for yubl_id, (author, text) in zip(yubl_ids, posts, strict=True)
    }
    stored: set[tuple[str, str]] = set()
    altered: list[tuple[str, str]] = []
    texts = {
        item["yubl_id"]["S"]: (item["author_id"]["S"], item.get("text", {}).get("S"))
        for item in pipeline.table_items(POSTS)
    }
    altered += [(a, y) for y, (a, text) in posted.items() if texts.get(y) != (a, text)]
    for item in pipeline.table_items(FEEDS):
        key = (item["user_id"]["S"], item["yubl_id"]["S"])
        stored.add(key)
        if posted.get(key[1], ("",))[0] != item["author_id"]["S"]:  # a reference: no text
            altered.append(key)
    expected = {(f, y) for f in workload.follower_ids() for y in yubl_ids}
    missing = sorted(expected - stored)
    unexpected = sorted(stored - expected)
    problems = {"missing": missing, "unexpected": unexpected, "altered": altered}
    found = {name: (len(keys), keys[:5]) for name, keys in problems.items() if keys}
    assert not found, f"feeds differ from the posts (count, first five): {found}"
    return len(stored)
