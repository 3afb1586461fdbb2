"""add_to_feed: writes one group's yubl into each follower's feed."""

from __future__ import annotations

import json

from chalice import Blueprint
from chalice.app import SNSEvent

from .. import wiring
from ..settings import current

__all__ = ["bp"]

bp = Blueprint(__name__)


@bp.on_sns_message(topic=current().feed_fanout_topic_arn)
def add_to_feed(event: SNSEvent) -> None:
    wiring.feed_service().add_group(json.loads(event.message))
