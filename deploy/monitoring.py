"""Per-function log retention and alarms for a ``chalice deploy``ed stage, idempotently.

The packaged template gets these from the merge template (``deploy.merge``); a stage
deployed with ``chalice deploy`` gets the same through the API here, for every function
``.chalice/deployed/<stage>.json`` lists, so a new handler is covered with no change.
Each alarm or retention is written only when it differs from what is there.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = [
    "DEFAULT_LOG_RETENTION_DAYS",
    "ensure_function_monitoring",
    "function_alarm",
    "remove_function_monitoring",
]

DEFAULT_LOG_RETENTION_DAYS = 30
_METRICS = {"Errors": "errors", "Throttles": "throttles"}


def function_alarm(function_name: str, metric: str, topic_arn: str) -> dict[str, Any]:
    """PutMetricAlarm's arguments for one function's Errors or Throttles (any in a minute)."""
    return {
        "AlarmName": f"{function_name}-{_METRICS[metric]}",
        "AlarmDescription": f"{function_name}: {_METRICS[metric]} in the last minute",
        "Namespace": "AWS/Lambda",
        "MetricName": metric,
        "Dimensions": [{"Name": "FunctionName", "Value": function_name}],
        "Statistic": "Sum",
        "Period": 60,
        "EvaluationPeriods": 1,
        "Threshold": 0.0,
        "ComparisonOperator": "GreaterThanThreshold",
        "TreatMissingData": "notBreaching",
        "AlarmActions": [topic_arn],
    }


def _same_alarm(current: dict[str, Any], wanted: dict[str, Any]) -> bool:
    return all(current.get(key) == value for key, value in wanted.items())


def _ensure_log_group(logs: Any, function_name: str, days: int) -> list[str]:
    group = f"/aws/lambda/{function_name}"
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


def ensure_function_monitoring(
    cloudwatch: Any,
    logs: Any,
    function_names: Iterable[str],
    alarm_topic_arn: str | None,
    retention_days: int = DEFAULT_LOG_RETENTION_DAYS,
) -> list[str]:
    """Log group retention for every function; Errors and Throttles alarms if a topic is given."""
    changes: list[str] = []
    for name in sorted(function_names):
        changes += _ensure_log_group(logs, name, retention_days)
        if not alarm_topic_arn:
            continue
        for metric in _METRICS:
            wanted = function_alarm(name, metric, alarm_topic_arn)
            found = cloudwatch.describe_alarms(AlarmNames=[wanted["AlarmName"]])["MetricAlarms"]
            if not found or not _same_alarm(found[0], wanted):
                cloudwatch.put_metric_alarm(**wanted)
                changes.append(f"alarm {wanted['AlarmName']} set")
    return changes


def remove_function_monitoring(
    cloudwatch: Any, logs: Any, function_names: Iterable[str], *, log_groups: bool
) -> list[str]:
    """Delete the functions' alarms; their log groups too when ``log_groups``."""
    names = sorted(function_names)
    alarms = [f"{name}-{suffix}" for name in names for suffix in _METRICS.values()]
    existing = [
        a["AlarmName"] for a in cloudwatch.describe_alarms(AlarmNames=alarms)["MetricAlarms"]
    ]
    if existing:
        cloudwatch.delete_alarms(AlarmNames=existing)
    removed = [f"alarm {name} deleted" for name in existing]
    for name in names if log_groups else []:
        group = f"/aws/lambda/{name}"
        try:
            logs.delete_log_group(logGroupName=group)
            removed.append(f"{group}: deleted")
        except logs.exceptions.ResourceNotFoundException:
            pass
    return removed
