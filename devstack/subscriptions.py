"""The template's ``AWS::SNS::Subscription`` resources, made through the SNS API.

moto's CloudFormation skips that resource type, so after the stack is up the local stack
reads the template's subscriptions and creates each one itself, with the same topic,
endpoint and attributes (``RawMessageDelivery``, ``FilterPolicy``, ``FilterPolicyScope``,
``RedrivePolicy``). ``Subscribe`` is idempotent, so a second run changes nothing.
Only the reference forms the template uses are resolved: ``Ref`` of a resource, and
``Fn::GetAtt`` of a queue's ``Arn``; anything else is refused by name.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cfnlint.decode import decode_str

__all__ = ["create_subscriptions", "template_subscriptions"]

_ATTRIBUTES = ("RawMessageDelivery", "FilterPolicy", "FilterPolicyScope", "RedrivePolicy")


def template_subscriptions(template_path: Path) -> dict[str, dict[str, Any]]:
    """The Properties of every AWS::SNS::Subscription, by logical id."""
    template, problems = decode_str(template_path.read_text())
    if problems or template is None:
        raise RuntimeError(f"{template_path} does not parse: {problems}")
    return {
        name: dict(resource.get("Properties", {}))
        for name, resource in template.get("Resources", {}).items()
        if resource.get("Type") == "AWS::SNS::Subscription"
    }


def _resolve(value: Any, physical: dict[str, str], sqs: Any, where: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return physical[value["Ref"]]
    if isinstance(value, dict) and set(value) == {"Fn::GetAtt"}:
        resource, attribute = value["Fn::GetAtt"]
        if attribute == "Arn" and physical[resource].startswith("http"):  # a queue's URL
            return str(
                sqs.get_queue_attributes(QueueUrl=physical[resource], AttributeNames=["QueueArn"])[
                    "Attributes"
                ]["QueueArn"]
            )
    raise ValueError(f"{where}: cannot resolve {value!r} (only Ref and a queue's Arn)")


def _attribute(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)


def create_subscriptions(
    template_path: Path, stack_name: str, cloudformation: Any, sns: Any, sqs: Any
) -> list[str]:
    """Subscribe as the template declares; the subscription ARNs."""
    resources = cloudformation.describe_stack_resources(StackName=stack_name)["StackResources"]
    physical = {  # moto lists the resource types it skipped without ids
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in resources
        if r.get("LogicalResourceId") and r.get("PhysicalResourceId")
    }
    arns = []
    for name, properties in template_subscriptions(template_path).items():
        attributes = {key: _attribute(properties[key]) for key in _ATTRIBUTES if key in properties}
        response = sns.subscribe(
            TopicArn=_resolve(properties["TopicArn"], physical, sqs, f"{name}.TopicArn"),
            Protocol=properties["Protocol"],
            Endpoint=_resolve(properties["Endpoint"], physical, sqs, f"{name}.Endpoint"),
            Attributes=attributes,
            ReturnSubscriptionArn=True,
        )
        arns.append(response["SubscriptionArn"])
    return arns
