"""add_to_feed: writes one group's yubl into each follower's feed."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint
from chalice.app import SNSEvent

from .. import wiring
from ..settings import current
from ..streams.processor import StreamProcessor

__all__ = ["bp", "processor"]

bp = Blueprint(__name__)


def _add_group(message: Any) -> None:
    wiring.feed_service().add_group(message)


processor = StreamProcessor(
    "add_to_feed", _add_group, policy=wiring.record_policy(), sink=wiring.failure_sink
)


@bp.on_sns_message(topic=current().feed_fanout_topic_arn)
def add_to_feed(event: SNSEvent) -> dict[str, Any]:
    return processor.process(event.to_dict(), event.context)
