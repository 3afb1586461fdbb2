"""fan_out_range: the work topic's worker; cuts a large fan-out into ranges (a plan the
dispatcher handed over) or publishes the follower-group messages of one range
(``services.range_fanout``), for a post or a delete.

Same failure handling as the other SNS workers: ``retry_then_park`` in process, then
the retry queue, and Lambda's asynchronous retries with an on-failure destination
(``.chalice/config.json``); a message that is not a valid range goes to the dead-letter
queue at once, with its reason. A retried range resumes after its last published batch.
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint
from chalice.app import SNSEvent

from .. import wiring
from ..observability.logging import logger
from ..observability.metrics import FOLLOWERS_FANNED_OUT, count
from ..settings import current
from ..streams.processor import StreamProcessor

__all__ = ["bp", "processor"]

bp = Blueprint(__name__)


def _fan_out_range(message: Any) -> None:
    done = wiring.range_fanout_service().work(message)
    logger.info(
        "follower ranges planned" if done.ranges else "follower range published",
        yubl_id=done.yubl_id,
        event_type=done.event_type,
        group=done.group,
        start_after=done.range.start_after,
        end=done.range.end,
        followers=done.followers,
        messages=done.messages,
        batches=done.batches,
        resumed_after=done.resumed_after,
        ranges=done.ranges,
        muted=done.muted,
    )
    count(FOLLOWERS_FANNED_OUT, done.followers)


processor = StreamProcessor(
    "fan_out_range", _fan_out_range, policy=wiring.record_policy(), sink=wiring.failure_sink
)


@bp.on_sns_message(topic=current().fanout_work_topic)
def fan_out_range(event: SNSEvent) -> dict[str, Any]:
    return processor.process(event.to_dict(), event.context)
