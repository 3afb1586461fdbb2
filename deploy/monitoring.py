"""A ``chalice deploy``ed stage's monitoring, through the APIs, idempotently.

The packaged template gets these as resources (``deploy.monitoring_template``); a stage
deployed with ``chalice deploy`` gets the same here: every function's log group and its
retention, every alarm of ``deploy.alarms`` (when the stage has an alarm topic), the
dashboard, the saved queries, and the subscription filters of central log shipping.
Each is written only when it differs from what is there, so a second run changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from deploy.alarms import alarm_properties, stage_alarms
from deploy.dashboard import dashboard_body, dashboard_name
from deploy.log_queries import log_group, query_name, saved_queries, subscription_filter_name
from deploy.monitoring_settings import MonitoringSettings
from deploy.observed import Observed
from deploy.rendering import ApiRender

__all__ = [
    "DEFAULT_LOG_RETENTION_DAYS",
    "ensure_log_shipping",
    "ensure_stage_monitoring",
    "remove_stage_monitoring",
]

DEFAULT_LOG_RETENTION_DAYS = 30
_DESCRIBE_ALARMS_MAX = 100  # names per DescribeAlarms call


def _same(current: Any, wanted: Any) -> bool:
    """``wanted`` holds in ``current`` (which may say more: ARNs, states, defaults)."""
    if isinstance(wanted, dict):
        return isinstance(current, dict) and all(
            _same(current.get(k), v) for k, v in wanted.items()
        )
    if isinstance(wanted, list):
        return (
            isinstance(current, list)
            and len(current) == len(wanted)
            and all(_same(c, w) for c, w in zip(current, wanted, strict=True))
        )
    return bool(current == wanted)


def _ensure_log_group(logs: Any, function_name: str, days: int) -> list[str]:
    group = log_group(function_name)
    found = [
        g
        for g in logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
        if g["logGroupName"] == group
    ]
    changes = []
    if not found:
        logs.create_log_group(logGroupName=group)
        changes.append(f"{group}: created")
    if not found or found[0].get("retentionInDays") != days:
        logs.put_retention_policy(logGroupName=group, retentionInDays=days)
        changes.append(f"{group}: retention {days} days")
    return changes


def _existing_alarms(cloudwatch: Any, names: list[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(names), _DESCRIBE_ALARMS_MAX):
        batch = names[start : start + _DESCRIBE_ALARMS_MAX]
        for alarm in cloudwatch.describe_alarms(AlarmNames=batch)["MetricAlarms"]:
            found[alarm["AlarmName"]] = alarm
    return found


def _ensure_alarms(
    cloudwatch: Any, watched: Observed, settings: MonitoringSettings, render: ApiRender, topic: str
) -> list[str]:
    wanted = [alarm_properties(a, render, [topic]) for a in stage_alarms(watched, settings)]
    current = _existing_alarms(cloudwatch, [w["AlarmName"] for w in wanted])
    changes = []
    for alarm in wanted:
        if not _same(current.get(alarm["AlarmName"]), alarm):
            cloudwatch.put_metric_alarm(**alarm)
            changes.append(f"alarm {alarm['AlarmName']} set")
    return changes


def _ensure_dashboard(
    cloudwatch: Any, watched: Observed, settings: MonitoringSettings, render: ApiRender
) -> list[str]:
    name = dashboard_name(watched)
    body = dashboard_body(watched, settings, render)
    try:
        current = json.loads(cloudwatch.get_dashboard(DashboardName=name)["DashboardBody"])
    except cloudwatch.exceptions.ResourceNotFound:
        current = None
    if current == json.loads(body):
        return []
    cloudwatch.put_dashboard(DashboardName=name, DashboardBody=body)
    return [f"dashboard {name} set"]


def _query_definitions(logs: Any, watched: Observed) -> dict[str, dict[str, Any]]:
    found = logs.describe_query_definitions(queryDefinitionNamePrefix=f"{watched.prefix}/")
    return {q["name"]: q for q in found.get("queryDefinitions", [])}


def _ensure_queries(logs: Any, watched: Observed) -> list[str]:
    groups = [log_group(f.deployed_name) for f in watched.functions]
    current = _query_definitions(logs, watched)
    changes = []
    for query in saved_queries():
        name = query_name(watched, query)
        wanted = {"name": name, "queryString": query.text, "logGroupNames": groups}
        found = current.get(name)
        if found is not None and _same(found, wanted):
            continue
        if found is not None:
            wanted["queryDefinitionId"] = found["queryDefinitionId"]
        logs.put_query_definition(**wanted)
        changes.append(f"saved query {name} set")
    return changes


def ensure_log_shipping(logs: Any, watched: Observed, settings: MonitoringSettings) -> list[str]:
    """One subscription filter per function log group to the declared destination; none
    (removed) when the stage declares none."""
    name = subscription_filter_name(watched)
    changes = []
    for function in watched.functions:
        group = log_group(function.deployed_name)
        filters = logs.describe_subscription_filters(logGroupName=group, filterNamePrefix=name)
        current = next((f for f in filters["subscriptionFilters"] if f["filterName"] == name), None)
        if not settings.log_destination_arn:
            if current is not None:
                logs.delete_subscription_filter(logGroupName=group, filterName=name)
                changes.append(f"{group}: central log shipping removed")
            continue
        wanted = {
            "logGroupName": group,
            "filterName": name,
            "filterPattern": "",
            "destinationArn": settings.log_destination_arn,
            "roleArn": settings.log_destination_role_arn,
        }
        if current is None or not _same(current, wanted):
            logs.put_subscription_filter(**wanted)
            changes.append(f"{group}: shipped to {settings.log_destination_arn}")
    return changes


def ensure_stage_monitoring(
    cloudwatch: Any,
    logs: Any,
    watched: Observed,
    settings: MonitoringSettings,
    alarm_topic_arn: str | None,
    region: str,
    retention_days: int = DEFAULT_LOG_RETENTION_DAYS,
) -> list[str]:
    """Log groups, alarms (if a topic is given), dashboard, queries and log shipping."""
    render = ApiRender(region=region, runbook_base_url=settings.runbook_base_url)
    changes: list[str] = []
    for function in sorted(watched.functions, key=lambda f: f.deployed_name):
        changes += _ensure_log_group(logs, function.deployed_name, retention_days)
    if alarm_topic_arn:
        changes += _ensure_alarms(cloudwatch, watched, settings, render, alarm_topic_arn)
    changes += _ensure_dashboard(cloudwatch, watched, settings, render)
    changes += _ensure_queries(logs, watched)
    changes += ensure_log_shipping(logs, watched, settings)
    return changes


def remove_stage_monitoring(
    cloudwatch: Any,
    logs: Any,
    watched: Observed,
    settings: MonitoringSettings,
    function_names: Iterable[str],
    *,
    log_groups: bool,
) -> list[str]:
    """Delete the stage's alarms, dashboard and saved queries; with ``log_groups``, the
    log groups of ``function_names`` too (their subscription filters go with them)."""
    # every alarm the stage could have: also a stream reader's for each function, since
    # which function reads the stream is known only while it is deployed
    # (and the API's, whose name does not change the alarms' names)
    readers = replace(
        watched,
        functions=tuple(replace(f, stream_fed=True) for f in watched.functions),
        api_name=watched.api_name or "api",
    )
    names = [a.name for a in stage_alarms(readers, settings)]
    existing = sorted(_existing_alarms(cloudwatch, names))
    for start in range(0, len(existing), _DESCRIBE_ALARMS_MAX):
        cloudwatch.delete_alarms(AlarmNames=existing[start : start + _DESCRIBE_ALARMS_MAX])
    removed = [f"alarm {name} deleted" for name in existing]
    dashboard = dashboard_name(watched)
    entries = cloudwatch.list_dashboards(DashboardNamePrefix=dashboard).get("DashboardEntries", [])
    if any(entry["DashboardName"] == dashboard for entry in entries):
        cloudwatch.delete_dashboards(DashboardNames=[dashboard])
        removed.append(f"dashboard {dashboard} deleted")
    for name, query in sorted(_query_definitions(logs, watched).items()):
        logs.delete_query_definition(queryDefinitionId=query["queryDefinitionId"])
        removed.append(f"saved query {name} deleted")
    for name in sorted(function_names) if log_groups else []:
        group = log_group(name)
        try:
            logs.delete_log_group(logGroupName=group)
            removed.append(f"{group}: deleted")
        except logs.exceptions.ResourceNotFoundException:
            pass
    return removed
