"""The stage's ``monitoring`` block: defaults, checks, and the names deploy/ shares."""

from __future__ import annotations

import pytest

from chalicelib.observability.settings import ObservabilitySettings
from deploy.monitoring_settings import MonitoringSettings, monitoring_settings
from deploy.observed import DEFAULT_METRICS_NAMESPACE, DEFAULT_SERVICE
from local_runtime.config import ConfigError


def _config(block: dict | None = None) -> dict:
    stage = {} if block is None else {"monitoring": block}
    return {"app_name": "yubl-fanout", "stages": {"dev": stage}}


def test_a_stage_without_the_block_gets_the_issue_thresholds():
    settings = monitoring_settings(_config(), "dev")
    assert settings == MonitoringSettings(
        iterator_age_alarm_milliseconds=10_000,
        iterator_age_alarm_datapoints=3,
        iterator_age_alarm_minutes=5,
        freshness_slo_seconds=5.0,
        retry_oldest_message_alarm_seconds=900,
        runbook_base_url="docs/runbooks.md",
        log_destination_arn="",
        log_destination_role_arn="",
    )


def test_declared_values_replace_the_defaults():
    settings = monitoring_settings(
        _config({"freshness_slo_seconds": 2.5, "runbook_base_url": "https://d.example/r.html"}),
        "dev",
    )
    assert (settings.freshness_slo_seconds, settings.runbook_base_url) == (
        2.5,
        "https://d.example/r.html",
    )


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ({"freshnes_slo_seconds": 5}, "unknown monitoring settings ['freshnes_slo_seconds']"),
        ({"iterator_age_alarm_minutes": 0}, "iterator_age_alarm_minutes must be a whole number"),
        ({"iterator_age_alarm_minutes": True}, "iterator_age_alarm_minutes must be a whole number"),
        ({"freshness_slo_seconds": -1}, "freshness_slo_seconds must be a number > 0"),
        (
            {"iterator_age_alarm_datapoints": 6},
            "iterator_age_alarm_datapoints (6) cannot exceed iterator_age_alarm_minutes (5)",
        ),
        ({"log_destination_arn": "firehose"}, "log_destination_arn is not an ARN"),
        (
            {"log_destination_arn": "arn:aws:firehose:eu-west-1:111122223333:deliverystream/l"},
            "log_destination_arn and log_destination_role_arn go together",
        ),
    ],
)
def test_a_wrong_value_is_refused_naming_the_setting(block, message):
    with pytest.raises(ConfigError) as refused:
        monitoring_settings(_config(block), "dev")
    assert message in str(refused.value)


def test_an_unknown_stage_is_refused():
    with pytest.raises(ConfigError, match="no stage 'qa'"):
        monitoring_settings(_config(), "qa")


def test_deploy_watches_the_namespace_and_service_the_functions_write_by_default():
    # deploy/ never imports chalicelib: its copy of the two defaults is held here
    defaults = ObservabilitySettings.from_environ({})
    assert (
        defaults.metrics_namespace,
        defaults.service,
    ) == (DEFAULT_METRICS_NAMESPACE, DEFAULT_SERVICE)
