"""archive_events: the archive group's worker, off the hot path behind an SQS queue.

The archive topic delivers to a queue (a subscription in the template, raw delivery);
this worker takes up to 10 messages a batch and writes them to the archive bucket as
newline-delimited JSON, one object per date (see ``archive_batch``).
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint
from chalice.app import SQSEvent

from .. import wiring
from ..settings import current
from .archive_batch import ArchiveBatch

__all__ = ["archive", "bp"]

bp = Blueprint(__name__)

archive = ArchiveBatch("archive_events", wiring.archive_service, wiring.failure_sink)


@bp.on_sqs_message(queue=current().archive_queue, batch_size=10)
def archive_events(event: SQSEvent) -> dict[str, Any]:
    return archive.handle(event.to_dict(), event.context)
