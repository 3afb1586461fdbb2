"""WorkQueue on SQS: a JSON message for a worker, now or after a delay, with the correlation
ids in force as message attributes (as the failure sink sends them)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cached_property
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ..observability.correlation import sqs_message_attributes
from ..services.errors import TemporarilyUnavailable

__all__ = ["MAX_DELAY_SECONDS", "SqsWorkQueue"]

MAX_DELAY_SECONDS = 900
"""The longest SQS holds a message back (``DelaySeconds``); a longer wait is sent again."""

UNAVAILABLE_RETRY_AFTER = 5


class SqsWorkQueue:
    """Queue URLs depend on the endpoint, so the URL is looked up by name on first use."""

    def __init__(self, sqs_client: Any, queue_name: str) -> None:
        self._sqs = sqs_client
        self._queue = queue_name

    @cached_property
    def url(self) -> str:
        return str(self._sqs.get_queue_url(QueueName=self._queue)["QueueUrl"])

    def send(
        self, message: Mapping[str, Any], delay_seconds: int = 0, same_hop: bool = False
    ) -> None:
        """``same_hop``: the same work going on later (a wait), not a new hop of the chain.
        A failure is ``TemporarilyUnavailable``: nothing was sent."""
        body = json.dumps(message, separators=(",", ":"), ensure_ascii=False)
        try:
            self._sqs.send_message(
                QueueUrl=self.url,
                MessageBody=body,
                DelaySeconds=max(0, min(MAX_DELAY_SECONDS, delay_seconds)),
                MessageAttributes=sqs_message_attributes(same_hop=same_hop),
            )
        except (ClientError, BotoCoreError) as err:
            raise TemporarilyUnavailable(
                f"queue {self._queue} refused the message ({type(err).__name__})",
                UNAVAILABLE_RETRY_AFTER,
            ) from err
