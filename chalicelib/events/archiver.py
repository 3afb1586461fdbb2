"""archive_events: the archive group's worker, off the hot path behind an SQS queue.

The archive topic delivers to a queue (a subscription in the template, raw delivery);
this worker takes up to 10 messages a batch and writes them to the archive bucket as
one newline-delimited JSON object per date. Each record is validated through the one
processor (policy ``skip``: an invalid record is dead-lettered with its reason, the
rest go on); a failed write fails the invocation, so SQS shows the whole batch again
and its redrive policy dead-letters it in the end. A repeated line keeps its event id.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from chalice import Blueprint
from chalice.app import SQSEvent

from .. import wiring
from ..domain.posts import YUBL_POSTED
from ..observability.context import bind
from ..observability.context import current as current_ids
from ..observability.logging import logger
from ..services.archive import ArchiveLine
from ..settings import current
from ..streams.policies import skip
from ..streams.processor import StreamProcessor

__all__ = ["bp", "processor"]

bp = Blueprint(__name__)

_Collected = list[tuple[ArchiveLine, dict[str, str]]]
_batch: ContextVar[_Collected | None] = ContextVar("archive_batch", default=None)


def _write(collected: _Collected) -> None:
    written = wiring.archive_service().write([line for line, _ in collected], YUBL_POSTED)
    key_of = {event_id: key for key, ids in written.items() for event_id in ids}
    for line, ids in collected:
        with bind(ids):
            logger.info("event archived", event_id=line.event_id, key=key_of[line.event_id])


def _collect(message: Any) -> None:
    """Validate one record into the invocation's batch (alone, when re-run from a queue)."""
    line = wiring.archive_service().line_of(message)
    batch = _batch.get()
    if batch is None:
        _write([(line, current_ids())])
    else:
        batch.append((line, current_ids()))


processor = StreamProcessor("archive_events", _collect, policy=skip(), sink=wiring.failure_sink)


@bp.on_sqs_message(queue=current().archive_queue, batch_size=10)
def archive_events(event: SQSEvent) -> dict[str, Any]:
    collected: _Collected = []
    token = _batch.set(collected)
    try:
        response = processor.process(event.to_dict(), event.context)
    finally:
        _batch.reset(token)
    if collected:
        _write(collected)
    return response
