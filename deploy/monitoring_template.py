"""The stage's monitoring as resources of Chalice's SAM template (``make package``).

Alarms (when the stage has an alarm topic: ``AlarmTopicArn``), the dashboard, the saved
queries and, when a central destination is given (``LogDestinationArn``), one
subscription filter per function log group. The stage's ``monitoring`` settings become
the template's parameters, with the declared values as their defaults.
"""

from __future__ import annotations

from typing import Any

from deploy.alarms import alarm_properties, stage_alarms
from deploy.dashboard import dashboard_body, dashboard_name
from deploy.log_queries import query_name, saved_queries, subscription_filter_name
from deploy.monitoring_settings import PARAMETERS, MonitoringSettings
from deploy.observed import Observed
from deploy.rendering import TemplateRender

__all__ = ["monitoring_merge"]


def _parameters(settings: MonitoringSettings) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, (name, kind, what) in PARAMETERS.items():
        value = getattr(settings, key)
        spec: dict[str, Any] = {"Type": kind, "Default": value, "Description": what}
        if kind == "Number":
            spec["MinValue"] = 1 if isinstance(value, int) else 0
        out[name] = spec
    return out


def _log_resources(watched: Observed) -> dict[str, Any]:
    groups = [{"Ref": f"{f.logical_id}LogGroup"} for f in watched.functions]
    resources: dict[str, Any] = {}
    for query in saved_queries():
        camel = "".join(part.capitalize() for part in query.key.split("-"))
        resources[f"{camel}Query"] = {
            "Type": "AWS::Logs::QueryDefinition",
            "Properties": {
                "Name": query_name(watched, query),
                "QueryString": query.text,
                "LogGroupNames": groups,
            },
        }
    for function in watched.functions:
        resources[f"{function.logical_id}CentralLogs"] = {
            "Type": "AWS::Logs::SubscriptionFilter",
            "Condition": "ShipLogs",
            "Properties": {
                "FilterName": subscription_filter_name(watched),
                "LogGroupName": {"Ref": f"{function.logical_id}LogGroup"},
                "FilterPattern": "",
                "DestinationArn": {"Ref": "LogDestinationArn"},
                "RoleArn": {"Ref": "LogDestinationRoleArn"},
            },
        }
    return resources


def monitoring_merge(watched: Observed, settings: MonitoringSettings) -> dict[str, Any]:
    """The parameters, conditions and resources that ``--merge-template`` adds."""
    render = TemplateRender()
    resources: dict[str, Any] = {
        alarm.logical_id: {
            "Type": "AWS::CloudWatch::Alarm",
            "Condition": "HasAlarmTopic",
            "Properties": alarm_properties(alarm, render, [{"Ref": "AlarmTopicArn"}]),
        }
        for alarm in stage_alarms(watched, settings)
    }
    resources["Dashboard"] = {
        "Type": "AWS::CloudWatch::Dashboard",
        "Properties": {
            "DashboardName": dashboard_name(watched),
            "DashboardBody": {"Fn::Sub": dashboard_body(watched, settings, render)},
        },
    }
    resources.update(_log_resources(watched))
    if watched.api_name is not None:  # unique per stage: API Gateway's metrics go by name
        resources["RestAPI"] = {"Properties": {"Name": watched.api_name}}
    return {
        "Parameters": _parameters(settings),
        "Conditions": {
            "ShipLogs": {
                "Fn::And": [
                    {"Fn::Not": [{"Fn::Equals": [{"Ref": name}, ""]}]}
                    for name in ("LogDestinationArn", "LogDestinationRoleArn")
                ]
            }
        },
        "Resources": resources,
    }
