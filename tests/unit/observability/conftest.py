"""Fixtures for the observability tests: a known environment and the lines written."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

OBSERVABILITY_VARIABLES = (
    "DEBUG_LOG_SAMPLE_RATE",
    "MAX_CALL_CHAIN_LENGTH",
    "METRICS_NAMESPACE",
    "LOCAL_LOG_FILE",
    "AWS_LAMBDA_FUNCTION_NAME",
    "CHALICE_FUNCTION_PREFIX",
    "POWERTOOLS_SERVICE_NAME",
    "POWERTOOLS_METRICS_DISABLED",
    "POWERTOOLS_DEV",
)


@pytest.fixture(autouse=True)
def known_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No stray settings; sampling off unless a test turns it on."""
    for name in OBSERVABILITY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DEBUG_LOG_SAMPLE_RATE", "0")


@pytest.fixture
def written(capsys: pytest.CaptureFixture[str]) -> Callable[[], list[dict[str, Any]]]:
    """Every JSON line written to stdout so far (logs and metrics), parsed."""

    def read() -> list[dict[str, Any]]:
        out = capsys.readouterr().out
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    return read
