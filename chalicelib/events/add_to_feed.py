"""add_to_feed: the feed group's worker; writes one follower group's yubl into each
follower's feed (see ``feed_writer``)."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint
from chalice.app import SNSEvent

from .. import wiring
from ..settings import current
from ..streams.processor import StreamProcessor
from .feed_writer import feed_writer

__all__ = ["bp", "processor"]

bp = Blueprint(__name__)

processor = StreamProcessor(
    "add_to_feed",
    feed_writer(
        wiring.feed_service,
        margin_ms=lambda: current().feed_write_time_margin_ms,
        trimmer=wiring.feed_trimmer,
    ),
    policy=wiring.record_policy(),
    sink=wiring.failure_sink,
)


@bp.on_sns_message(topic=current().group_topic("feed"))
def add_to_feed(event: SNSEvent) -> dict[str, Any]:
    return processor.process(event.to_dict(), event.context)
