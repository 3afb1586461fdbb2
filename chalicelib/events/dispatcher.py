"""distribute_yubl: the yubl-posted stream's only reader, publishing each event to the
topic of every subscriber group its type routes to (``ROUTING``, ``GROUP_TOPICS``);
follows and unfollows change the follower's feed here (backfill, removal). A post or a
follow of an account deleted meanwhile changes nothing (logged with its reason).

Every record is checked against the stream's contract first (``chalicelib.contract``:
its version and its type's JSON Schema), one user record at a time for a KPL aggregate
(``chalicelib.streams.records``).

The stream name is a decorator argument, read when this module is imported, so the
stage's environment must be set first (``chalice`` and ``local_runtime`` do that).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chalice import Blueprint
from chalice.app import KinesisEvent

from .. import wiring
from ..contract import check_event
from ..domain.accounts import USER_DELETED
from ..domain.relationships_events import RELATIONSHIP_EVENTS
from ..observability.logging import logger
from ..observability.metrics import FOLLOWERS_FANNED_OUT, count
from ..settings import current
from ..streams.invocation import record_arrival
from ..streams.processor import StreamProcessor

__all__ = ["bp", "processor"]

bp = Blueprint(__name__)


def _relationship_changed(payload: Any) -> None:
    handled = wiring.relationship_change_service().handle(payload)
    change = handled.change
    logger.info(
        f"{change.event_type} handled",
        event_type=change.event_type,
        user_id=change.user_id,
        follower_id=change.follower_id,
        entries=handled.entries,
        skipped=handled.skipped,
    )


def _user_deleted(payload: Any) -> None:
    deleted, groups = wiring.user_deleted_routing().route(payload)
    logger.info(
        "user-deleted routed",
        user_id=deleted.user_id,
        event_id=deleted.event_id,
        groups=list(groups),
    )


def _distribute(payload: Any) -> None:
    refused = wiring.late_events().refusal(payload)
    if refused is not None:
        logger.info(
            "event about a deleted account changes nothing",
            event_type=payload.get("type"),
            reason=refused,
        )
        return
    if isinstance(payload, dict) and payload.get("type") == USER_DELETED:
        _user_deleted(payload)
        return
    if isinstance(payload, dict) and payload.get("type") in RELATIONSHIP_EVENTS:
        _relationship_changed(payload)  # the follower's own feed: no group to publish to
        return
    arrival = record_arrival()
    arrived_at = None if arrival is None else datetime.fromtimestamp(arrival, UTC)
    distribution = wiring.distribution_service().distribute(payload, arrived_at)
    for delivery in distribution.groups:
        logger.info(
            f"yubl routed to group {delivery.group}",
            yubl_id=distribution.yubl_id,
            event_type=distribution.event_type,
            group=delivery.group,
            messages=delivery.messages,
            batches=delivery.batches,
            followers=delivery.followers,
            resumed_after=delivery.resumed_after,
            handed_off=delivery.handed_off,
            pulled=delivery.pulled,
            lane=delivery.lane,
            muted=delivery.muted,
        )
    logger.info(
        "yubl distributed",
        yubl_id=distribution.yubl_id,
        groups=[delivery.group for delivery in distribution.groups],
        followers=distribution.followers,
    )
    count(FOLLOWERS_FANNED_OUT, distribution.followers)


processor = StreamProcessor(
    "distribute_yubl",
    _distribute,
    policy=wiring.record_policy(),
    sink=wiring.failure_sink,
    attempts=wiring.record_attempts,
    contract=check_event,
)


@bp.on_kinesis_record(
    stream=current().yubl_posted_stream, batch_size=100, starting_position="TRIM_HORIZON"
)
def distribute_yubl(event: KinesisEvent) -> dict[str, Any]:
    return processor.process(event.to_dict(), event.context)
