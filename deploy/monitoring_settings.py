"""The stage's ``monitoring`` block of ``.chalice/config.json``: thresholds and links.

Declared once per stage, next to its other settings; every key is optional::

    "monitoring": {
      "iterator_age_alarm_milliseconds": 10000,
      "iterator_age_alarm_datapoints": 3,
      "iterator_age_alarm_minutes": 5,
      "freshness_slo_seconds": 5,
      "retry_oldest_message_alarm_seconds": 900,
      "runbook_base_url": "https://docs.example.com/yubl/runbooks.html",
      "log_destination_arn": "arn:aws:firehose:...:deliverystream/central-logs",
      "log_destination_role_arn": "arn:aws:iam::...:role/logs-to-firehose"
    }

``make package`` writes each as the default of a parameter of the SAM template (see
``PARAMETERS``), so a stack can still be given another value; ``make deploy`` applies
the declared values through the API.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from local_runtime.config import ConfigError

__all__ = ["PARAMETERS", "MonitoringSettings", "monitoring_settings"]

# where the runbooks are when no published docs site is declared: the page in the repository
DEFAULT_RUNBOOK_BASE_URL = "docs/runbooks.md"
_ARN = re.compile(r"arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:[0-9]{12}:.+")


@dataclass(frozen=True)
class MonitoringSettings:
    iterator_age_alarm_milliseconds: int = 10_000
    iterator_age_alarm_datapoints: int = 3  # minutes over the threshold ...
    iterator_age_alarm_minutes: int = 5  # ... out of this many
    freshness_slo_seconds: float = 5.0  # p99 of post-to-feed latency over 5 minutes
    retry_oldest_message_alarm_seconds: int = 900
    runbook_base_url: str = DEFAULT_RUNBOOK_BASE_URL
    log_destination_arn: str = ""  # Kinesis stream or Firehose stream; "" ships nothing
    log_destination_role_arn: str = ""  # the role CloudWatch Logs assumes to write there


# setting -> (template parameter, its CloudFormation type, what it is)
PARAMETERS: dict[str, tuple[str, str, str]] = {
    "iterator_age_alarm_milliseconds": (
        "IteratorAgeAlarmMilliseconds",
        "Number",
        "Alarm when the stream's reader is further behind than this (Maximum of a minute)",
    ),
    "iterator_age_alarm_datapoints": (
        "IteratorAgeAlarmDatapoints",
        "Number",
        "... in this many minutes ...",
    ),
    "iterator_age_alarm_minutes": (
        "IteratorAgeAlarmMinutes",
        "Number",
        "... out of the last this many",
    ),
    "freshness_slo_seconds": (
        "FreshnessSloSeconds",
        "Number",
        "The freshness objective: p99 of a post's arrival-to-feed latency over 5 minutes",
    ),
    "retry_oldest_message_alarm_seconds": (
        "RetryOldestMessageAlarmSeconds",
        "Number",
        "Alarm when the retry queue's oldest message is older than this",
    ),
    "runbook_base_url": (
        "RunbookBaseUrl",
        "String",
        "The runbooks page; every alarm's description links to <this>#<its section>",
    ),
    "log_destination_arn": (
        "LogDestinationArn",
        "String",
        "Central logs: a Kinesis or Firehose stream every function's log group is "
        "subscribed to; empty for none",
    ),
    "log_destination_role_arn": (
        "LogDestinationRoleArn",
        "String",
        "The role CloudWatch Logs assumes to write to LogDestinationArn",
    ),
}


def _positive_int(stage: str, key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"stage {stage}: monitoring.{key} must be a whole number >= 1")
    return value


def monitoring_settings(config: Mapping[str, Any], stage: str) -> MonitoringSettings:
    """The stage's declared monitoring settings, checked; defaults for what is left out."""
    stages = config.get("stages", {})
    if stage not in stages:
        raise ConfigError(f".chalice/config.json has no stage {stage!r}")
    block = stages[stage].get("monitoring", {})
    known = {f.name for f in fields(MonitoringSettings)}
    unknown = sorted(set(block) - known)
    if unknown:
        raise ConfigError(f"stage {stage}: unknown monitoring settings {unknown}")
    values: dict[str, Any] = {}
    for key, value in block.items():
        if key in ("runbook_base_url", "log_destination_arn", "log_destination_role_arn"):
            if not isinstance(value, str):
                raise ConfigError(f"stage {stage}: monitoring.{key} must be a string")
            values[key] = value
        elif key == "freshness_slo_seconds":
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise ConfigError(f"stage {stage}: monitoring.{key} must be a number > 0")
            values[key] = float(value)
        else:
            values[key] = _positive_int(stage, key, value)
    settings = MonitoringSettings(**values)
    if settings.iterator_age_alarm_datapoints > settings.iterator_age_alarm_minutes:
        raise ConfigError(
            f"stage {stage}: monitoring.iterator_age_alarm_datapoints "
            f"({settings.iterator_age_alarm_datapoints}) cannot exceed "
            f"iterator_age_alarm_minutes ({settings.iterator_age_alarm_minutes})"
        )
    for key in ("log_destination_arn", "log_destination_role_arn"):
        arn = getattr(settings, key)
        if arn and not _ARN.fullmatch(arn):
            raise ConfigError(f"stage {stage}: monitoring.{key} is not an ARN: {arn!r}")
    if bool(settings.log_destination_arn) != bool(settings.log_destination_role_arn):
        raise ConfigError(
            f"stage {stage}: monitoring.log_destination_arn and log_destination_role_arn "
            "go together (CloudWatch Logs needs the role to write to a Kinesis or Firehose "
            "stream)"
        )
    return settings
