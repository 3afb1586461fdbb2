"""Turn a destination written as a name into the stage's ARN, offline or against AWS.

``infra/resources.yaml`` says what each name is (a queue or a topic), so a package can be
built with no account: the ARN becomes an ``Fn::Sub`` that CloudFormation completes with
the partition, region and account it deploys to. An ARN written in the config is kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from local_runtime.config import ConfigError

__all__ = ["arn_template", "load_cfn_yaml", "named_resources", "resolved_name"]

_NAME_PROPERTY = {"AWS::SQS::Queue": ("sqs", "QueueName"), "AWS::SNS::Topic": ("sns", "TopicName")}


class _CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags (``!Sub x`` becomes ``{"Fn::Sub": x}``, ``!Ref``
    and ``!Condition`` keep their names)."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {suffix if suffix in ("Ref", "Condition") else f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _tag)


def load_cfn_yaml(path: Path) -> dict[str, Any]:
    """A CloudFormation YAML template as plain data."""
    data = yaml.load(path.read_text(), Loader=_CfnLoader)
    if not isinstance(data, dict):
        raise ConfigError(f"{path} is not a CloudFormation template")
    return data


def resolved_name(value: Any, stage: str) -> str | None:
    """A resource name as the template writes it (a string or ``!Sub`` of ``${Stage}``),
    for ``stage``; None for any other form."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and isinstance(value.get("Fn::Sub"), str):
        return str(value["Fn::Sub"]).replace("${Stage}", stage)
    return None


def named_resources(template: Mapping[str, Any], stage: str) -> dict[str, str]:
    """Queue and topic names of the template for ``stage`` -> ``"sqs"`` or ``"sns"``."""
    found = {}
    for resource in template.get("Resources", {}).values():
        service, prop = _NAME_PROPERTY.get(resource.get("Type"), (None, None))
        if service is None or prop is None:
            continue
        name = resolved_name(resource.get("Properties", {}).get(prop), stage)
        if name:
            found[name] = service
    return found


def arn_template(function: str, target: str, names: Mapping[str, str]) -> Any:
    """The ARN of ``target`` as CloudFormation writes it, for a template with no account."""
    if target.startswith("arn:"):
        return target
    service = names.get(target)
    if service is None:
        raise ConfigError(
            f"{function}: destination {target!r} is neither an ARN nor a queue or topic "
            "of infra/resources.yaml"
        )
    prefix = "arn:${AWS::Partition}:" + service + ":${AWS::Region}:${AWS::AccountId}"
    return {"Fn::Sub": f"{prefix}:{target}"}
