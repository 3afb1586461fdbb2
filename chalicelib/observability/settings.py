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

__all__ = ["ObservabilitySettings", "ObservabilitySettingsError"]

DEFAULT_SERVICE = "yubl-fanout"


class ObservabilitySettingsError(ValueError):
    """An observability variable holds a value the code cannot use."""


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ObservabilitySettingsError(f"{name} must be a number, got {raw!r}") from None
    if not 0.0 <= value <= 1.0:
        raise ObservabilitySettingsError(f"{name} must be between 0 and 1, got {value}")
    return value


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ObservabilitySettingsError(f"{name} must be an integer, got {raw!r}") from None
    if value < 0:
        raise ObservabilitySettingsError(f"{name} must not be negative, got {value}")
    return value


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
            debug_log_sample_rate=_float(env, "DEBUG_LOG_SAMPLE_RATE", 0.01),
            max_call_chain_length=_int(env, "MAX_CALL_CHAIN_LENGTH", 10),
            metrics_namespace=env.get("METRICS_NAMESPACE", "").strip() or "YublFanout",
            service=env.get("POWERTOOLS_SERVICE_NAME", "").strip() or DEFAULT_SERVICE,
        )
