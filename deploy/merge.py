"""The ``--merge-template`` for ``chalice package``: declared settings and log groups.

Built from the SAM template Chalice made without it, so every function and event source
Chalice packages is covered with no list kept here: a new handler gets its alarms and
log group, a new ``event_source`` block its settings. The alarms, dashboard and saved
queries come from ``deploy.monitoring_template``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from chalice.utils import to_cfn_resource_name

from deploy.declared import Declared
from deploy.monitoring import DEFAULT_LOG_RETENTION_DAYS

__all__ = ["MAPPING_EVENT_TYPES", "event_kinds", "merge_template"]

MAPPING_EVENT_TYPES = {"Kinesis": "kinesis", "SQS": "sqs", "SNS": "sns"}
_FUNCTION = "AWS::Serverless::Function"

Resolver = Callable[[str, str], Any]  # (function, name or ARN) -> ARN value in the template


def _functions(sam: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {
        logical_id: resource
        for logical_id, resource in sam.get("Resources", {}).items()
        if resource.get("Type") == _FUNCTION
    }


def _event(sam: Mapping[str, Any], function: str) -> tuple[str, str] | None:
    """(event logical id, kind) of the function's one event source, or None."""
    resource = _functions(sam).get(to_cfn_resource_name(function))
    if resource is None:
        return None
    for name, event in resource.get("Properties", {}).get("Events", {}).items():
        kind = MAPPING_EVENT_TYPES.get(event.get("Type"))
        if kind:
            return name, kind
    return None


def event_kinds(sam: Mapping[str, Any], functions: list[str]) -> dict[str, str]:
    """Function name -> "kinesis" / "sqs" / "sns", for the named functions that have one."""
    kinds = {}
    for function in functions:
        found = _event(sam, function)
        if found:
            kinds[function] = found[1]
    return kinds


def _with_destinations(
    function: str, settings: Mapping[str, Any], resolve: Resolver, typed: bool
) -> dict[str, Any]:
    out = dict(settings)
    config = settings.get("DestinationConfig")
    if config:
        out["DestinationConfig"] = {}
        for which, target in config.items():
            arn = resolve(function, target["Destination"])
            entry: dict[str, Any] = {"Destination": arn}
            if typed:  # SAM's EventInvokeConfig wants the kind of the destination
                entry["Type"] = "SNS" if ":sns:" in str(arn) else "SQS"
            out["DestinationConfig"][which] = entry
    return out


def _settings_resources(
    sam: Mapping[str, Any], declared: list[Declared], resolve: Resolver
) -> dict[str, Any]:
    resources: dict[str, Any] = {}
    for item in declared:
        found = _event(sam, item.function)
        assert found is not None, item.function  # declared_settings checked the kinds
        event_id, _kind = found
        properties: dict[str, Any] = {}
        if item.kind == "sns":
            if item.settings:
                properties["EventInvokeConfig"] = _with_destinations(
                    item.function, item.settings, resolve, typed=True
                )
            event_properties = dict(item.subscription)
        else:
            event_properties = _with_destinations(item.function, item.settings, resolve, False)
        if event_properties:
            properties["Events"] = {event_id: {"Properties": event_properties}}
        resources[to_cfn_resource_name(item.function)] = {"Properties": properties}
    return resources


def _per_function_resources(sam: Mapping[str, Any]) -> dict[str, Any]:
    resources: dict[str, Any] = {}
    for function_id in _functions(sam):
        resources[f"{function_id}LogGroup"] = {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {
                "LogGroupName": {"Fn::Sub": f"/aws/lambda/${{{function_id}}}"},
                "RetentionInDays": {"Ref": "LogRetentionInDays"},
            },
        }
    return resources


_PARAMETERS = {
    "AlarmTopicArn": {
        "Type": "String",
        "Default": "",
        "Description": "SNS topic of the stage's alarms (the AlarmTopicArn output of the "
        "resources stack); empty: no alarms",
    },
    "LogRetentionInDays": {
        "Type": "Number",
        "Default": DEFAULT_LOG_RETENTION_DAYS,
        "AllowedValues": [
            1,
            3,
            5,
            7,
            14,
            30,
            60,
            90,
            120,
            150,
            180,
            365,
            400,
            545,
            731,
            1827,
            3653,
        ],
        "Description": "How long every function's log group keeps its logs",
    },
}


def merge_template(
    sam: Mapping[str, Any], declared: list[Declared], resolve: Resolver
) -> dict[str, Any]:
    """What ``chalice package --merge-template`` adds to Chalice's own SAM template."""
    return {
        "Parameters": _PARAMETERS,
        "Conditions": {
            "HasAlarmTopic": {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmTopicArn"}, ""]}]}
        },
        "Resources": {
            **_per_function_resources(sam),
            **_settings_resources(sam, declared, resolve),
        },
    }
