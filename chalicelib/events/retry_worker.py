"""retry_parked: re-runs parked records through the handler they failed in.

Policy ``halt`` with one message a batch: a failure leaves the message in the retry
queue, SQS shows it again after the visibility timeout, and after maxReceiveCount the
queue's redrive policy moves it to the dead-letter queue. The sink is only for work a
handler hands back unfinished (out of time): that rest is parked as a new message.
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint
from chalice.app import SQSEvent

from .. import wiring
from ..settings import current
from ..streams.policies import halt
from ..streams.processor import StreamProcessor
from ..streams.retry import rerun_parked

__all__ = ["bp", "processor"]

bp = Blueprint(__name__)

processor = StreamProcessor("retry_parked", rerun_parked, policy=halt(), sink=wiring.failure_sink)


@bp.on_sqs_message(queue=current().retry_queue, batch_size=1)
def retry_parked(event: SQSEvent) -> dict[str, Any]:
    return processor.process(event.to_dict(), event.context)
