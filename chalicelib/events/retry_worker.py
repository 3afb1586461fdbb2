"""retry_parked: re-runs parked records through the handler they failed in.

Policy ``halt`` with one message a batch: a failure leaves the message in the retry
queue, SQS shows it again after the visibility timeout, and after maxReceiveCount the
queue's redrive policy moves it to the dead-letter queue.
"""

from __future__ import annotations

import json
from typing import Any

from chalice import Blueprint
from chalice.app import SQSEvent

from ..domain.errors import InvalidInput
from ..settings import current
from ..streams.policies import halt
from ..streams.processor import StreamProcessor, processors

__all__ = ["bp", "processor"]

bp = Blueprint(__name__)


def rerun_parked(failed: Any) -> None:
    if not isinstance(failed, dict) or failed.get("handler") not in processors:
        raise InvalidInput("handler", f"names no known processor: {failed!r:.200}")
    payload = failed.get("payload")
    if payload is None and failed.get("text") is not None:
        payload = json.loads(failed["text"])  # a re-driven record that was not JSON
    processors[failed["handler"]].handle(payload)


processor = StreamProcessor("retry_parked", rerun_parked, policy=halt())


@bp.on_sqs_message(queue=current().retry_queue, batch_size=1)
def retry_parked(event: SQSEvent) -> dict[str, Any]:
    return processor.process(event.to_dict(), event.context)
