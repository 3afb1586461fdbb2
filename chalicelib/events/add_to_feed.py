"""add_to_feed: the feed group's workers, one per lane; each writes one follower group's
yubl into each follower's feed (see ``feed_writer``), or removes a deleted one
(``feed_remover``). ``add_to_feed_priority`` takes the priority topic (fan-outs to at
most ``FANOUT_PRIORITY_MAX_FOLLOWERS``), ``add_to_feed`` the group's own topic (the rest):
the same body, with a concurrency of its own per lane (``reserved_concurrency``)."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint
from chalice.app import SNSEvent

from .. import wiring
from ..settings import current
from ..streams.processor import StreamProcessor
from .feed_remover import by_feed_message_type, feed_remover
from .feed_writer import feed_writer

__all__ = ["bp", "priority_processor", "processor"]

bp = Blueprint(__name__)


def _margin_ms() -> int:
    return current().feed_write_time_margin_ms


def _feed_worker(name: str) -> StreamProcessor:
    return StreamProcessor(
        name,
        by_feed_message_type(
            add=feed_writer(wiring.feed_service, margin_ms=_margin_ms, trimmer=wiring.feed_trimmer),
            remove=feed_remover(wiring.feed_removal_service, margin_ms=_margin_ms),
        ),
        policy=wiring.record_policy(),
        sink=wiring.failure_sink,
    )


processor = _feed_worker("add_to_feed")
priority_processor = _feed_worker("add_to_feed_priority")


@bp.on_sns_message(topic=current().group_topic("feed"))
def add_to_feed(event: SNSEvent) -> dict[str, Any]:
    return processor.process(event.to_dict(), event.context)


@bp.on_sns_message(topic=current().priority_topic("feed"))
def add_to_feed_priority(event: SNSEvent) -> dict[str, Any]:
    return priority_processor.process(event.to_dict(), event.context)
