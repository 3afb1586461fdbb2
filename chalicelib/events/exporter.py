"""export_account: the exports queue's worker; one request, one JSON-lines file in the
exports bucket (``services/exports.py``). Policy ``retry_then_park``; a request that is
not valid is dead-lettered at once, with its reason. A retry writes the file again whole
(same key: the last write wins)."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint
from chalice.app import SQSEvent

from .. import wiring
from ..observability.logging import logger
from ..settings import current
from ..streams.processor import StreamProcessor

__all__ = ["bp", "processor"]

bp = Blueprint(__name__)


def _export(message: Any) -> None:
    written = wiring.export_writer().write(message)
    logger.info(
        "export written" if written.skipped is None else "export not written",
        user_id=written.user_id,
        export_id=written.export_id,
        lines=written.lines,
        reason=written.skipped,
    )


processor = StreamProcessor(
    "export_account", _export, policy=wiring.record_policy(), sink=wiring.failure_sink
)


@bp.on_sqs_message(queue=current().exports_queue, batch_size=1)
def export_account(event: SQSEvent) -> dict[str, Any]:
    return processor.process(event.to_dict(), event.context)
