"""Observability settings, read from the environment on each use.

Read per call rather than cached: the values are cheap to read, and the local
stack and the tests change them between invocations of one process.

Three more variables are read per line, directly, because writing a log line must
never fail on a bad setting: LOCAL_LOG_FILE (also send every line to this file),
CHALICE_FUNCTION_PREFIX (``{app}-{stage}``, stripped from deployed function names)
and AWS_LAMBDA_FUNCTION_NAME (set by Lambda).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from chalicelib.settings_catalog import read_float, read_int, read_text

__all__ = ["ObservabilitySettings", "ObservabilitySettingsError"]

DEFAULT_SERVICE = "yubl-fanout"


class ObservabilitySettingsError(ValueError):
    """An observability variable holds a value the code cannot use."""


@dataclass(frozen=True)
class ObservabilitySettings:
    """What the observability package reads from the environment, with its defaults."""

    debug_log_sample_rate: float = 0.01
    max_call_chain_length: int = 10
    metrics_namespace: str = "YublFanout"
    service: str = DEFAULT_SERVICE

    @classmethod
    def from_environ(cls, env: Mapping[str, str] | None = None) -> ObservabilitySettings:
        env = os.environ if env is None else env
        return cls(
            debug_log_sample_rate=read_float(
                env, "DEBUG_LOG_SAMPLE_RATE", ObservabilitySettingsError
            ),
            max_call_chain_length=read_int(
                env, "MAX_CALL_CHAIN_LENGTH", ObservabilitySettingsError
            ),
            metrics_namespace=read_text(env, "METRICS_NAMESPACE"),
            service=read_text(env, "POWERTOOLS_SERVICE_NAME"),
        )
