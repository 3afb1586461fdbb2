"""The template's ``AWS::SNS::Subscription`` resources, made through the SNS API.

moto's CloudFormation skips that resource type, so after the stack is up the local stack
reads the template's subscriptions and creates each one itself, with the same topic,
endpoint and attributes (``RawMessageDelivery``, ``FilterPolicy``, ``FilterPolicyScope``,
``RedrivePolicy``). ``Subscribe`` is idempotent, so a second run changes nothing.
Only the reference forms the template uses are resolved: ``Ref`` of a resource, and
``Fn::GetAtt`` of a queue's ``Arn``; anything else is refused by name. A subscription
with a ``Condition`` is made only when the condition holds for the stack's parameters
(``Fn::Equals``, ``Fn::Not``, ``Fn::And``, ``Fn::Or``, ``Condition``, ``Ref`` of a parameter).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cfnlint.decode import decode_str

__all__ = ["create_subscriptions", "template_subscriptions"]

_ATTRIBUTES = ("RawMessageDelivery", "FilterPolicy", "FilterPolicyScope", "RedrivePolicy")


def _template(template_path: Path) -> dict[str, Any]:
    template, problems = decode_str(template_path.read_text())
    if problems or template is None:
        raise RuntimeError(f"{template_path} does not parse: {problems}")
    return dict(template)


def template_subscriptions(
    template_path: Path, parameters: dict[str, str] | None = None
) -> dict[str, dict[str, Any]]:
    """The Properties of every AWS::SNS::Subscription whose condition holds, by logical id."""
    template = _template(template_path)
    values = {
        name: str(spec.get("Default", "")) for name, spec in template.get("Parameters", {}).items()
    } | (parameters or {})
    conditions = template.get("Conditions", {})
    return {
        name: dict(resource.get("Properties", {}))
        for name, resource in template.get("Resources", {}).items()
        if resource.get("Type") == "AWS::SNS::Subscription"
        and (
            "Condition" not in resource
            or _holds(conditions[resource["Condition"]], conditions, values)
        )
    }


def _value(node: Any, values: dict[str, str]) -> Any:
    if isinstance(node, dict) and set(node) == {"Ref"}:
        return values[node["Ref"]]
    return node


def _holds(node: Any, conditions: dict[str, Any], values: dict[str, str]) -> bool:
    ((function, args),) = node.items()
    if function == "Condition":
        return _holds(conditions[args], conditions, values)
    if function == "Fn::Equals":
        return bool(_value(args[0], values) == _value(args[1], values))
    if function == "Fn::Not":
        return not _holds(args[0], conditions, values)
    if function == "Fn::And":
        return all(_holds(arg, conditions, values) for arg in args)
    if function == "Fn::Or":
        return any(_holds(arg, conditions, values) for arg in args)
    raise ValueError(f"condition function {function} is not supported")


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
    stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in stack.get("Parameters", [])}
    arns = []
    for name, properties in template_subscriptions(template_path, parameters).items():
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
