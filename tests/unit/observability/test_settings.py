"""Settings: defaults, and refusal of values the code cannot use."""

from __future__ import annotations

import pytest

from chalicelib.observability.settings import ObservabilitySettings, ObservabilitySettingsError


def test_defaults_apply_when_nothing_is_set() -> None:
    # GIVEN an empty environment
    # WHEN the settings are read
    # THEN the documented defaults apply
    assert ObservabilitySettings.from_environ({}) == ObservabilitySettings(
        debug_log_sample_rate=0.01,
        max_call_chain_length=10,
        metrics_namespace="YublFanout",
        service="yubl-fanout",
    )


def test_values_are_read_from_the_environment() -> None:
    # GIVEN every variable set
    env = {
        "DEBUG_LOG_SAMPLE_RATE": "0.5",
        "MAX_CALL_CHAIN_LENGTH": "4",
        "METRICS_NAMESPACE": "Local",
        "POWERTOOLS_SERVICE_NAME": "feeds",
    }
    # WHEN the settings are read
    # THEN each comes through
    assert ObservabilitySettings.from_environ(env) == ObservabilitySettings(
        0.5, 4, "Local", "feeds"
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DEBUG_LOG_SAMPLE_RATE", "often"),
        ("DEBUG_LOG_SAMPLE_RATE", "1.5"),
        ("MAX_CALL_CHAIN_LENGTH", "ten"),
        ("MAX_CALL_CHAIN_LENGTH", "-1"),
    ],
)
def test_unusable_values_are_refused_by_name(name: str, value: str) -> None:
    # GIVEN a variable holding a value the code cannot use
    # WHEN the settings are read
    # THEN the error names the variable
    with pytest.raises(ObservabilitySettingsError, match=name):
        ObservabilitySettings.from_environ({name: value})
