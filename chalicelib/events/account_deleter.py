"""delete_account: the accounts group's worker (SQS), deleting what a deleted account left.

The accounts topic delivers each ``user-deleted`` to a queue (a subscription in the
template, raw delivery); this worker takes one message at a time and runs the deletion
(``services/account_deletion.py``) from wherever an earlier run stopped. Policy
``retry_then_park``: a failure is retried in process, then parked in the retry queue
(``retry_parked`` re-runs it); a message that is not a valid deletion is dead-lettered at
once with its reason. Out of time, it parks the same message and the next run resumes;
to wait, it sends itself the message again, delayed, and ends.
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint
from chalice.app import SQSEvent

from .. import wiring
from ..observability.logging import logger
from ..settings import current
from ..streams.invocation import Unfinished
from ..streams.processor import StreamProcessor
from .feed_writer import time_budget

__all__ = ["bp", "processor"]

bp = Blueprint(__name__)

TIME_MARGIN_MS = 20_000
"""Stop this long before the timeout: one post's delete fan-out, or one page, fits in it."""

_out_of_time = time_budget(lambda: TIME_MARGIN_MS)


def _delete_account(message: Any) -> None:
    done = wiring.account_deletion().run(message, out_of_time=_out_of_time)
    logger.info(
        f"account deletion: {done.outcome}",
        user_id=done.user_id,
        event_id=done.event_id,
        outcome=done.outcome,
        posts=done.posts,
        removed=done.removed,
        wait_seconds=done.wait_seconds,
    )
    if done.outcome == "out of time":
        raise Unfinished(message, f"out of time after {done.posts} post deletes: resumed later")


processor = StreamProcessor(
    "delete_account", _delete_account, policy=wiring.record_policy(), sink=wiring.failure_sink
)


@bp.on_sqs_message(queue=current().accounts_queue, batch_size=1)
def delete_account(event: SQSEvent) -> dict[str, Any]:
    return processor.process(event.to_dict(), event.context)
