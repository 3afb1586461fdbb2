"""distribute_yubl: the yubl-posted stream's only reader.

The stream name is a decorator argument, read when this module is imported, so the
stage's environment must be set first (``chalice`` and ``local_runtime`` do that).
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint
from chalice.app import KinesisEvent

from .. import wiring
from ..observability.logging import logger
from ..observability.metrics import FOLLOWERS_FANNED_OUT, count
from ..settings import current
from ..streams.processor import StreamProcessor

__all__ = ["bp", "processor"]

bp = Blueprint(__name__)


def _distribute(payload: Any) -> None:
    distribution = wiring.distribution_service().distribute(payload)
    logger.info(
        "yubl distributed",
        yubl_id=distribution.yubl_id,
        followers=distribution.followers,
        messages=distribution.messages,
        batches=distribution.batches,
        resumed_after=distribution.resumed_after,
    )
    count(FOLLOWERS_FANNED_OUT, distribution.followers)


processor = StreamProcessor(
    "distribute_yubl",
    _distribute,
    policy=wiring.record_policy(),
    sink=wiring.failure_sink,
    attempts=wiring.record_attempts,
)


@bp.on_kinesis_record(
    stream=current().yubl_posted_stream, batch_size=100, starting_position="TRIM_HORIZON"
)
def distribute_yubl(event: KinesisEvent) -> dict[str, Any]:
    return processor.process(event.to_dict(), event.context)
