"""add_to_feed: writes one group's yubl into each follower's feed.

The writes keep to a time budget: once the invocation has less than
``FEED_WRITE_TIME_MARGIN_MS`` left, the worker stops between two BatchWriteItem calls
and hands the followers not yet written to the failure policy (``Unfinished``), which
parks them as a smaller message. The metrics come after the writes and can never fail
the record: a record that was written must not be retried for a metric.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from chalice import Blueprint
from chalice.app import SNSEvent

from .. import wiring
from ..observability.logging import logger
from ..observability.metrics import FEED_ENTRIES_WRITTEN, POST_TO_FEED_LATENCY, count, record
from ..services.feeds import FeedWrite
from ..settings import current
from ..streams.invocation import Unfinished, remaining_ms
from ..streams.processor import StreamProcessor

__all__ = ["bp", "out_of_time", "processor", "report_written"]

bp = Blueprint(__name__)


def out_of_time() -> bool:
    """Less than the safety margin left before the invocation's timeout."""
    left = remaining_ms()
    return left is not None and left < current().feed_write_time_margin_ms


def report_written(
    written: FeedWrite, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> None:
    """The write's metrics; a failure here is logged and never fails the record."""
    try:
        count(FEED_ENTRIES_WRITTEN, written.entries)
        posted = datetime.fromisoformat(written.posted_at.replace("Z", "+00:00"))
        latency_ms = (clock() - posted).total_seconds() * 1000
        # a post stamped a little ahead of this clock (allowed skew) has no negative latency
        record(POST_TO_FEED_LATENCY, round(max(0.0, latency_ms), 1), "Milliseconds")
    except Exception as err:  # by design: metrics never fail a written record
        logger.warning(
            f"metrics of a feed write not recorded: {err}",
            yubl_id=written.yubl_id,
            error_type=type(err).__name__,
        )


def _add_group(message: Any) -> None:
    written = wiring.feed_service().add_group(message, out_of_time=out_of_time)
    logger.info(
        "feed entries written",
        yubl_id=written.yubl_id,
        entries=written.entries,
        followers=list(written.followers),
    )
    report_written(written)
    if written.rest is not None:
        left = len(written.rest["followers"])
        raise Unfinished(
            written.rest,
            f"out of time: {written.entries} feed entries written, "
            f"{left} handed back (less than {current().feed_write_time_margin_ms} ms left)",
        )


processor = StreamProcessor(
    "add_to_feed", _add_group, policy=wiring.record_policy(), sink=wiring.failure_sink
)


@bp.on_sns_message(topic=current().feed_fanout_topic)
def add_to_feed(event: SNSEvent) -> dict[str, Any]:
    return processor.process(event.to_dict(), event.context)
