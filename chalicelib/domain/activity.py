"""Who counts as active for the feed fan-out, and what a feed read must do about it.

A read is recorded as the hour it happened in (``2026-11-23T22:00:00Z``), so a user who
reads all day costs one write an hour. The fan-out skips a follower whose last recorded
read is older than ``active_days``; since the hour is rounded down, a follower may be
seen as inactive up to an hour early, never late, and the read that brings them back
applies the same test to the same value, so every skip is followed by a rebuild.

A user with no recorded read counts as active: a new user, or one from before reads
were recorded. Skipping is a saving, never a loss.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

__all__ = ["ReadPlan", "active_among", "active_cutoff", "is_active", "plan_read", "read_hour"]

_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def read_hour(now: datetime) -> str:
    """The hour a read at ``now`` (timezone-aware) is recorded as, UTC."""
    return _utc(now).replace(minute=0, second=0, microsecond=0).strftime(_FORMAT)


def active_cutoff(now: datetime, active_days: int) -> str:
    """The oldest recorded read that still counts as active at ``now``."""
    return _utc(now - timedelta(days=active_days)).strftime(_FORMAT)


def is_active(last_read: str | None, now: datetime, active_days: int) -> bool:
    """Whether the fan-out writes to this follower; ``active_days`` 0 skips nobody."""
    if active_days == 0 or last_read is None:
        return True
    return last_read >= active_cutoff(now, active_days)


def active_among(
    followers: Sequence[str], last_reads: Mapping[str, str], now: datetime, active_days: int
) -> list[str]:
    """Those of ``followers`` that ``is_active`` keeps, in their order; the cutoff, the same
    for the whole group, is worked out once (a group message holds up to 1,000)."""
    if active_days == 0:
        return list(followers)
    cutoff = active_cutoff(now, active_days)
    return [f for f in followers if (read := last_reads.get(f)) is None or read >= cutoff]


@dataclass(frozen=True)
class ReadPlan:
    """What a feed read does besides reading: rebuild the feed first (the fan-out has
    been skipping this reader), and record the hour (None: this hour is recorded)."""

    rebuild: bool
    record: str | None


def plan_read(last_read: str | None, now: datetime, active_days: int) -> ReadPlan:
    hour = read_hour(now)
    return ReadPlan(
        rebuild=not is_active(last_read, now, active_days),
        record=hour if last_read is None or last_read < hour else None,
    )


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("a timezone-aware time is needed")
    return moment.astimezone(UTC)
