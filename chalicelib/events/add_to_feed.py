"""add_to_feed: writes one group's yubl into each follower's feed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chalice import Blueprint
from chalice.app import SNSEvent

from .. import wiring
from ..observability.logging import logger
from ..observability.metrics import FEED_ENTRIES_WRITTEN, POST_TO_FEED_LATENCY, count, record
from ..settings import current
from ..streams.processor import StreamProcessor

__all__ = ["bp", "processor"]

bp = Blueprint(__name__)


def _add_group(message: Any) -> None:
    written = wiring.feed_service().add_group(message)
    logger.info("feed entries written", yubl_id=written.yubl_id, entries=written.entries)
    count(FEED_ENTRIES_WRITTEN, written.entries)
    posted = datetime.fromisoformat(written.posted_at.replace("Z", "+00:00"))
    latency_ms = (datetime.now(UTC) - posted).total_seconds() * 1000
    record(POST_TO_FEED_LATENCY, round(latency_ms, 1), "Milliseconds")


processor = StreamProcessor(
    "add_to_feed", _add_group, policy=wiring.record_policy(), sink=wiring.failure_sink
)


@bp.on_sns_message(topic=current().feed_fanout_topic)
def add_to_feed(event: SNSEvent) -> dict[str, Any]:
    return processor.process(event.to_dict(), event.context)
