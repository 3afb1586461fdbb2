"""On-failure (and on-success) destinations: an SQS queue or an SNS topic.

Given as an ARN, as Lambda takes it, or as a plain name for convenience; resolved once
at start so a missing queue or topic is a clear error before anything runs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from local_runtime.config import ConfigError

__all__ = ["Destination", "resolve_destination"]


@dataclass(frozen=True)
class Destination:
    """Where a destination record goes; ``send`` writes one JSON record there."""

    kind: str  # "sqs" or "sns"
    arn: str
    address: str  # queue URL or topic ARN
    client: Any

    def send(self, record: Any) -> None:
        body = json.dumps(record)
        if self.kind == "sqs":
            self.client.send_message(QueueUrl=self.address, MessageBody=body)
        else:
            self.client.publish(TopicArn=self.address, Message=body)


def _queue(sqs: Any, name: str, account_id: str | None) -> Destination | None:
    kwargs = {"QueueName": name}
    if account_id:
        kwargs["QueueOwnerAWSAccountId"] = account_id
    try:
        url = sqs.get_queue_url(**kwargs)["QueueUrl"]
    except ClientError:
        return None
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return Destination("sqs", arn, url, sqs)


def _topic(sns: Any, arn: str) -> Destination | None:
    try:
        sns.get_topic_attributes(TopicArn=arn)
    except ClientError:
        return None
    return Destination("sns", arn, arn, sns)


def resolve_destination(
    function: str, target: str, *, sqs: Any, sns: Any, region: str, account_id: str
) -> Destination:
    """Find the queue or topic ``target`` names; raise ConfigError if there is none."""
    if target.startswith("arn:"):
        parts = target.split(":")
        if len(parts) < 6:
            raise ConfigError(f"{function}: destination {target} is not a valid ARN")
        service, owner, name = parts[2], parts[4], parts[5]
        found = _queue(sqs, name, owner) if service == "sqs" else _topic(sns, target)
    else:
        found = _queue(sqs, target, None) or _topic(
            sns, f"arn:aws:sns:{region}:{account_id}:{target}"
        )
    if found is None:
        raise ConfigError(f"{function}: on-failure destination {target} does not exist")
    return found
