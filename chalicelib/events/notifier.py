"""notify_mentioned: the notifications group's worker (SNS), one notification per user a
yubl mentions, removed again when the yubl is deleted. Retried by Lambda's asynchronous
invocation; a replay overwrites (or removes nothing more)."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint
from chalice.app import SNSEvent

from .. import wiring
from ..domain.deletes import YUBL_DELETED
from ..observability.logging import logger
from ..settings import current
from ..streams.processor import StreamProcessor

__all__ = ["bp", "processor"]

bp = Blueprint(__name__)


def _notify(message: Any) -> None:
    if isinstance(message, dict) and message.get("type") == YUBL_DELETED:
        removed = wiring.notification_removal_service().remove_mentions(message)
        logger.info(
            "notifications removed",
            yubl_id=removed.yubl_id,
            event_id=removed.event_id,
            users=list(removed.users),
        )
        return
    written = wiring.notification_service().notify(message)
    logger.info(
        "notifications written",
        yubl_id=written.yubl_id,
        event_id=written.event_id,
        users=list(written.users),
        unknown_users=list(written.unknown),
    )


processor = StreamProcessor(
    "notify_mentioned", _notify, policy=wiring.record_policy(), sink=wiring.failure_sink
)


@bp.on_sns_message(topic=current().group_topic("notifications"))
def notify_mentioned(event: SNSEvent) -> dict[str, Any]:
    return processor.process(event.to_dict(), event.context)
