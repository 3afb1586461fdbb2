"""One variant's run: what was seen while posting and waiting for every feed entry."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from .feedlog import FeedLog

__all__ = ["Observed", "wait_for_entries"]


@dataclass
class Observed:
    """What a variant's run saw: its posts, its log of writes, its counted calls and the
    CPU seconds of the stack's processes in its measured window (``window.py``)."""

    name: str
    expected_entries: int
    log: FeedLog
    calls: Mapping[str, int]
    seconds_by_op: Mapping[str, float]
    complete: bool
    cpu_seconds: Mapping[str, float | None] = field(default_factory=dict)
    cpu_window_s: float = 0.0


def wait_for_entries(
    name: str,
    log: FeedLog,
    expected: int,
    timeout_s: float,
    progress: Callable[[str], None],
    every_s: float = 2.0,
    archived: bool = False,
) -> bool:
    """Read the log until ``expected`` entries are written and every follower of every
    post is accounted for (a group whose followers are all inactive writes nothing, but
    its lookup belongs to the run); a progress line every ``every_s``. With ``archived``,
    until the archive worker is done with every post too: its calls are counted with the
    run's, so a window closed (or opened) while it is still writing would count a batch's
    account read and index write without its object."""
    started = time.monotonic()
    last_line = started
    while True:
        written = log.read()
        now = time.monotonic()
        if written >= expected and log.all_accounted() and (not archived or log.all_archived()):
            progress(f"{name}: {written:,}/{expected:,} feed entries in {now - started:.0f} s")
            return True
        if now - started > timeout_s:
            unarchived = len(log.posted_at.keys() - log.archived) if archived else 0
            progress(
                f"{name}: gave up after {timeout_s:.0f} s at {written:,}/{expected:,}"
                + (f", {unarchived} posts not archived" if unarchived else "")
            )
            return False
        if now - last_line >= every_s:
            share = written / expected if expected else 1.0
            progress(
                f"{name}: {written:,}/{expected:,} feed entries ({share:.0%}), "
                f"{written / (now - started):,.0f}/s, {now - started:.0f} s"
            )
            last_line = now
        time.sleep(0.2)
