"""The add_to_feed handler's body, apart from its decorator so it can be built on any
FeedService (the tests give it in-memory twins).

The writes keep to a time budget: once the invocation has less than the margin
(``FEED_WRITE_TIME_MARGIN_MS``) left, the worker stops between two BatchWriteItem calls
and hands the followers not yet written to the failure policy (``Unfinished``), which
parks them as a smaller message. ``PostToFeedLatency`` runs from the post's arrival on
the stream (``arrived_at``, carried by the group message), or from its ``posted_at`` for a
message that does not carry it (one parked before it did): a producer's clock is not
ours. The metrics come after the writes and can never fail
the record: a record that was written must not be retried for a metric. Nor for a trim
of the capped feeds (``FeedTrimmer``): a failed trim leaves a feed a little longer
until its next one, and reads never show past the cap.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ..observability.logging import logger
from ..observability.metrics import FEED_ENTRIES_WRITTEN, POST_TO_FEED_LATENCY, count, record
from ..services.feed_cap import FeedTrimmer
from ..services.feeds import FeedService, FeedWrite
from ..streams.invocation import Unfinished, remaining_ms

__all__ = ["feed_writer", "report_written", "time_budget", "trim_written"]

Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def report_written(written: FeedWrite, clock: Clock = _utc_now) -> None:
    """The write's metrics; a failure here is logged and never fails the record."""
    try:
        count(FEED_ENTRIES_WRITTEN, written.entries)
        start = written.arrived_at or written.posted_at
        since = datetime.fromisoformat(start.replace("Z", "+00:00"))
        latency_ms = (clock() - since).total_seconds() * 1000
        # a post stamped a little ahead of this clock (allowed skew) has no negative latency
        record(POST_TO_FEED_LATENCY, round(max(0.0, latency_ms), 1), "Milliseconds")
    except Exception as err:  # by design: metrics never fail a written record
        logger.warning(
            f"metrics of a feed write not recorded: {err}",
            yubl_id=written.yubl_id,
            error_type=type(err).__name__,
        )


def trim_written(trimmer: FeedTrimmer, written: FeedWrite) -> None:
    """Trim the feeds the write drew; a failure here is logged and never fails the record."""
    try:
        trimmed = trimmer.after_write(written.yubl_id, written.followers)
    except Exception as err:  # by design: the entries are written, the next trim catches up
        logger.warning(
            f"capped feeds not trimmed: {err}",
            yubl_id=written.yubl_id,
            error_type=type(err).__name__,
        )
        return
    if trimmed.feeds:
        logger.info(
            "feeds trimmed to the cap",
            yubl_id=written.yubl_id,
            feeds=list(trimmed.feeds),
            deleted=trimmed.deleted,
        )


def time_budget(margin_ms: Callable[[], int]) -> Callable[[], bool]:
    """Whether the invocation has less than ``margin_ms()`` left (never, outside Lambda)."""

    def out_of_time() -> bool:
        left = remaining_ms()
        return left is not None and left < margin_ms()

    return out_of_time


def feed_writer(
    service: Callable[[], FeedService],
    margin_ms: Callable[[], int],
    clock: Clock = _utc_now,
    trimmer: Callable[[], FeedTrimmer] | None = None,
) -> Callable[[Any], None]:
    """A handler that writes one feed-fanout message, stopping ``margin_ms()`` before
    the invocation's timeout, then trims the capped feeds the writes drew."""
    out_of_time = time_budget(margin_ms)

    def add_group(message: Any) -> None:
        written = service().add_group(message, out_of_time=out_of_time)
        logger.info(
            "feed entries written",
            yubl_id=written.yubl_id,
            entries=written.entries,
            followers=list(written.followers),
            muted=written.muted,
            skipped_inactive=written.skipped,
            withdrawn=written.withdrawn,
        )
        if trimmer is not None and written.rest is None:
            trim_written(trimmer(), written)
        report_written(written, clock)
        if written.rest is not None:
            raise Unfinished(
                written.rest,
                f"out of time: {written.entries} feed entries written, "
                f"{len(written.rest['followers'])} handed back "
                f"(less than {margin_ms()} ms left)",
            )

    return add_group
