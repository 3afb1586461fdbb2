"""MessagePublisher on an SNS topic, through PublishBatch."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from botocore.exceptions import ClientError

from ..domain.errors import PermanentFailure
from ..observability.correlation import MESSAGE_ATTRIBUTE_LIMIT, sns_message_attributes

__all__ = [
    "PublishFailed",
    "PublishRefused",
    "SnsGroupPublisher",
    "SnsMessagePublisher",
    "topic_arn",
]

# Error codes a later attempt can succeed on, though SNS may flag them as the sender's.
_TRANSIENT_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "Throttled",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "KMSThrottling",
        "InternalError",
        "InternalFailure",
        "ServiceUnavailable",
    }
)


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
    """SNS failed some entries of a batch after retries; a later attempt may succeed."""


class PublishRefused(PublishFailed, PermanentFailure):
    """SNS refused entries for good (``SenderFault``, or a 4xx error that is not
    throttling): sending the same request again cannot succeed."""


def _transient(code: str, status: int | None = None) -> bool:
    return code in _TRANSIENT_CODES or (status is not None and status >= 500)


class SnsMessagePublisher:
    """Publishes a batch; entries SNS fails with a server fault are sent again, entries it
    fails with a sender fault raise ``PublishRefused`` at once."""

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

    def publish_batch(
        self, messages: Sequence[str], attributes: Mapping[str, str] | None = None
    ) -> None:
        """Every message with ``attributes`` (for filter policies) and the correlation ids
        in force, one hop further, in the room SNS's 10 attributes leave them."""
        own = dict(attributes or {})
        pending = {str(i): message for i, message in enumerate(messages)}
        sent_attributes = {
            **sns_message_attributes(limit=MESSAGE_ATTRIBUTE_LIMIT - len(own)),
            **{name: {"DataType": "String", "StringValue": value} for name, value in own.items()},
        }
        for attempt in range(1, self._max_attempts + 1):
            failed = self._send(pending, sent_attributes)
            if not failed:
                return
            refused = [
                f for f in failed if f.get("SenderFault") and not _transient(f.get("Code", ""))
            ]
            if refused or attempt == self._max_attempts:
                error = PublishRefused if refused else PublishFailed
                reasons = sorted({f"{f.get('Code', '?')}: {f.get('Message', '')}" for f in failed})
                raise error(
                    f"{len(failed)} of {len(pending)} messages not published to "
                    f"{self._topic_arn} ({'sender fault' if refused else 'after retries'}): "
                    + "; ".join(reasons)
                )
            pending = {f["Id"]: pending[f["Id"]] for f in failed}
            self._sleep(random.uniform(0, 0.1 * 2**attempt))

    def _send(self, pending: dict[str, str], attributes: Any) -> list[dict[str, Any]]:
        """One PublishBatch call; its failed entries. A refused call raises PublishRefused."""
        try:
            response = self._sns.publish_batch(
                TopicArn=self._topic_arn,
                PublishBatchRequestEntries=[
                    {"Id": entry_id, "Message": message, "MessageAttributes": attributes}
                    for entry_id, message in pending.items()
                ],
            )
        except ClientError as err:
            error = err.response.get("Error", {})
            status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if _transient(error.get("Code", ""), status):
                raise
            raise PublishRefused(
                f"PublishBatch to {self._topic_arn} refused: "
                f"{error.get('Code', '?')}: {error.get('Message', '')}"
            ) from err
        return list(response.get("Failed", []))


class SnsGroupPublisher:
    """GroupPublisher over one SnsMessagePublisher per subscriber group, built on first use."""

    def __init__(self, publisher_for: Callable[[str], SnsMessagePublisher]) -> None:
        self._publisher_for = publisher_for
        self._publishers: dict[str, SnsMessagePublisher] = {}

    def publish_batch(
        self, group: str, messages: Sequence[str], attributes: Mapping[str, str]
    ) -> None:
        if group not in self._publishers:
            self._publishers[group] = self._publisher_for(group)
        self._publishers[group].publish_batch(messages, attributes)
