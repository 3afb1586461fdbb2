"""MessagePublisher on an SNS topic, through PublishBatch."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from typing import Any

from ..observability.correlation import sns_message_attributes

__all__ = ["PublishFailed", "SnsMessagePublisher", "topic_arn"]


def topic_arn(name_or_arn: str, sts_client: Any, region: str) -> str:
    """An ARN as is; a bare topic name completed with the caller's account and region.

    GetCallerIdentity needs no IAM permission, so a stage can name its topic without
    knowing the account it is deployed to.
    """
    if name_or_arn.startswith("arn:"):
        return name_or_arn
    account = sts_client.get_caller_identity()["Account"]
    partition = (
        "aws-cn"
        if region.startswith("cn-")
        else ("aws-us-gov" if region.startswith("us-gov-") else "aws")
    )
    return f"arn:{partition}:sns:{region}:{account}:{name_or_arn}"


class PublishFailed(RuntimeError):
    """SNS refused some entries of a batch, for good or after retries."""


class SnsMessagePublisher:
    """Publishes a batch; entries SNS fails with a server fault are sent again."""

    def __init__(
        self,
        sns_client: Any,
        topic_arn: str,
        max_attempts: int = 4,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._sns = sns_client
        self._topic_arn = topic_arn
        self._max_attempts = max_attempts
        self._sleep = sleep

    def publish_batch(self, messages: Sequence[str]) -> None:
        pending = {str(i): message for i, message in enumerate(messages)}
        attributes = sns_message_attributes()  # the ids in force, one hop further
        for attempt in range(1, self._max_attempts + 1):
            response = self._sns.publish_batch(
                TopicArn=self._topic_arn,
                PublishBatchRequestEntries=[
                    {"Id": entry_id, "Message": message, "MessageAttributes": attributes}
                    for entry_id, message in pending.items()
                ],
            )
            failed = response.get("Failed", [])
            if not failed:
                return
            fatal = [f for f in failed if f.get("SenderFault")]
            if fatal or attempt == self._max_attempts:
                codes = sorted({f.get("Code", "?") for f in failed})
                raise PublishFailed(
                    f"{len(failed)} of {len(pending)} messages not published to "
                    f"{self._topic_arn}: {', '.join(codes)}"
                )
            pending = {f["Id"]: pending[f["Id"]] for f in failed}
            self._sleep(random.uniform(0, 0.1 * 2**attempt))
