"""Small Chalice projects written to temporary directories, and shortcuts to inspect runs.

Each test writes an app of its own (app.py + .chalice/config.json), so the runtime is
exercised exactly as it would run a project it has never seen.
"""

from __future__ import annotations

import base64
import json
import os
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local_runtime import Invocation

__all__ = [
    "data_of",
    "kinesis_batches",
    "restore_environ",
    "unique",
    "write_project",
]


@pytest.fixture(autouse=True)
def restore_environ(emulator_endpoint: str) -> Iterator[None]:
    """Loading a project sets its stage variables in os.environ; undo that after each test."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


def unique(prefix: str) -> str:
    """A resource name no other test uses (tests share one emulator)."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def write_project(
    root: Path,
    app_source: str,
    *,
    app_name: str = "conformance",
    stage: str = "local",
    environment: dict[str, str] | None = None,
    functions: dict[str, Any] | None = None,
) -> Path:
    """Write a Chalice project: ``app_source`` as app.py, a config with one stage."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "app.py").write_text(textwrap.dedent(app_source))
    (root / ".chalice").mkdir(exist_ok=True)
    config = {
        "version": "2.0",
        "app_name": app_name,
        "stages": {
            stage: {
                "environment_variables": environment or {},
                "lambda_functions": functions or {},
            }
        },
    }
    (root / ".chalice" / "config.json").write_text(json.dumps(config, indent=2))
    return root


def data_of(invocation: Invocation) -> list[str]:
    """The decoded data of each Kinesis record an invocation got, in order."""
    return [base64.b64decode(r["kinesis"]["data"]).decode() for r in invocation.event["Records"]]


def kinesis_batches(invocations: list[Invocation]) -> list[list[str]]:
    return [data_of(i) for i in invocations]
