"""distribute_yubl: the yubl-posted stream's only reader.

The stream name is a decorator argument, read when this module is imported, so the
stage's environment must be set first (``chalice`` and ``local_runtime`` do that).
"""

from __future__ import annotations

import json

from chalice import Blueprint
from chalice.app import KinesisEvent

from .. import wiring
from ..settings import current

__all__ = ["bp"]

bp = Blueprint(__name__)


@bp.on_kinesis_record(
    stream=current().yubl_posted_stream, batch_size=100, starting_position="TRIM_HORIZON"
)
def distribute_yubl(event: KinesisEvent) -> None:
    service = wiring.distribution_service()
    for record in event:
        service.distribute(json.loads(record.data))
