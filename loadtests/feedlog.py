"""Feed writes as the workers log them: when each follower's entry was written.

The real workers log ``feed entries written`` (yubl id, followers) to the stack's log
after each group's writes; the naive variant logs one ``naive feed entry written`` per
entry. An entry's post-to-feed latency is that line's time minus the post's
``posted_at`` (the moment the posts API accepted it): for a group it is the time the
group's last BatchWriteItem returned, so the figure is an upper bound per entry.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

__all__ = ["FeedLog", "PostTiming", "parse_time", "percentiles"]

WRITE_MESSAGES = ("feed entries written", "naive feed entry written")
# the archive worker's line per yubl-posted event, written or refused (a deleted author)
ARCHIVE_MESSAGES = ("event archived", "event not archived: its author deleted their account")
ARCHIVED_EVENT = "yubl-posted:"
MUTERS_LEFT_OUT = (
    "yubl routed to group feed",
    "follower range published",
    "follower ranges planned",
)


def parse_time(text: str) -> float:
    """Epoch seconds of an ISO 8601 time (``Z`` or an offset)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


@dataclass
class FeedLog:
    """Follows one log file from where it stood when made; keeps each entry's first write."""

    path: Path
    posted_at: dict[str, float]  # yubl id -> accepted at (epoch s), the run's posts only
    followers_of: dict[str, int] = field(default_factory=dict)  # yubl id -> its followers
    author_of: dict[str, str] = field(default_factory=dict)  # yubl id -> its author
    written: dict[tuple[str, str], float] = field(default_factory=dict)
    # yubl id -> its followers a line has accounted for: written, skipped as inactive or
    # left out as muting the author; the run ends when each post's are all accounted for
    # (a group of inactive followers writes nothing, yet its lookup is part of the run)
    accounted: dict[str, int] = field(default_factory=dict)
    archived: set[str] = field(default_factory=set)  # yubl ids the archive worker is done with
    duplicates: int = 0
    lines: int = 0  # write lines of the run's posts: one per invocation that wrote
    _offset: int = 0

    def __post_init__(self) -> None:
        self._offset = self.path.stat().st_size if self.path.exists() else 0

    def read(self) -> int:
        """Read lines added since the last call; return the entries written so far."""
        if not self.path.exists():
            return len(self.written)
        with self.path.open("rb") as f:
            f.seek(self._offset)
            chunk = f.read()
        end = chunk.rfind(b"\n") + 1  # a line still being written waits for the next read
        self._offset += end
        for raw in chunk[:end].splitlines():
            self._take(raw)
        return len(self.written)

    def all_archived(self) -> bool:
        """Whether the archive worker is done with every post (its calls all made)."""
        return self.archived >= self.posted_at.keys()

    def all_accounted(self) -> bool:
        """Whether every follower of every post has been written, skipped or left out."""
        return all(self.accounted.get(y, 0) >= n for y, n in self.followers_of.items())

    def _take(self, raw: bytes) -> None:
        if not any(
            mark in raw for mark in (b"written", b"routed to group feed", b"range", b"archived")
        ):
            return
        try:
            line = json.loads(raw)
        except ValueError:
            return
        if line.get("message") in ARCHIVE_MESSAGES:
            self.archived.add(str(line.get("event_id", "")).removeprefix(ARCHIVED_EVENT))
            return
        yubl = line.get("yubl_id")
        if yubl not in self.posted_at:
            return
        if line.get("message") in MUTERS_LEFT_OUT and line.get("group", "feed") == "feed":
            # the dispatcher (or a range worker) left the author's muters out
            self.accounted[yubl] = self.accounted.get(yubl, 0) + int(line.get("muted") or 0)
            return
        if line.get("message") not in WRITE_MESSAGES:
            return
        others = int(line.get("skipped_inactive") or 0) + int(line.get("muted") or 0)
        self.accounted[yubl] = self.accounted.get(yubl, 0) + len(line.get("followers", [])) + others
        at = parse_time(line["timestamp"])
        self.lines += 1
        for follower in line.get("followers", []):
            key = (line["yubl_id"], follower)
            if key in self.written:
                self.duplicates += 1
            else:
                self.written[key] = at

    def write_times(self) -> list[float]:
        return sorted(self.written.values())

    def posts(self) -> list[PostTiming]:
        """Each post of the run with its entries' write times, in posting order."""
        times: dict[str, list[float]] = {yubl: [] for yubl in self.posted_at}
        for (yubl, _), at in self.written.items():
            times[yubl].append(at)
        return [
            PostTiming(
                yubl_id=yubl,
                author_id=self.author_of.get(yubl, ""),
                followers=self.followers_of.get(yubl, 0),
                posted_at=posted_at,
                times=tuple(sorted(times[yubl])),
            )
            for yubl, posted_at in sorted(self.posted_at.items(), key=lambda item: item[1])
        ]


@dataclass(frozen=True)
class PostTiming:
    """One post: when the API accepted it, and when each of its entries was logged."""

    yubl_id: str
    author_id: str
    followers: int
    posted_at: float  # epoch s
    times: tuple[float, ...]  # epoch s of each entry's write line, sorted

    @property
    def first_entry_s(self) -> float | None:
        """From the 202 to the first write line (an upper bound: that line follows its
        group's last BatchWriteItem)."""
        return self.times[0] - self.posted_at if self.times else None

    @property
    def last_entry_s(self) -> float | None:
        return self.times[-1] - self.posted_at if self.times else None

    def first_to_last(self) -> tuple[int, float]:
        """Entries logged after the first write line, and the seconds from it to the
        last: the first line's entries were written before its time, so they are left
        out of the rate between first and last."""
        if not self.times:
            return 0, 0.0
        first = self.times[0]
        return sum(1 for t in self.times if t > first), self.times[-1] - first


def percentiles(values: Sequence[float], points: Sequence[int] = (50, 95, 99)) -> dict[str, float]:
    """Nearest-rank percentiles, rounded to 0.1; empty input gives an empty mapping."""
    if not values:
        return {}
    ordered = sorted(values)
    found = {}
    for p in points:
        rank = max(1, math.ceil(p / 100 * len(ordered)))
        found[f"p{p}"] = round(ordered[rank - 1], 1)
    return found
