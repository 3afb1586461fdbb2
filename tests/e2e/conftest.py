"""The whole local stack, started exactly as ``make run`` starts it, on free ports."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from devstack.emulator import aws_environment, free_port

from .stack_process import StackProcess


@dataclass
class RunningStack:
    api_url: str
    aws_endpoint: str
    log_file: Path
    output: list[str]


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    log_dir = tmp_path_factory.mktemp("stack-logs")
    stack = StackProcess(free_port(), free_port(), log_dir)
    try:
        stack.wait_ready()
    except AssertionError as failure:
        pytest.fail(str(failure))
    saved = dict(os.environ)
    os.environ.update(aws_environment(stack.aws_endpoint))
    try:
        yield RunningStack(
            api_url=stack.api_url,
            aws_endpoint=stack.aws_endpoint,
            log_file=log_dir / "stack.log",
            output=stack.output,
        )
    finally:
        os.environ.clear()
        os.environ.update(saved)
        stack.stop()


def wait_for(condition, timeout: float, what: str, interval: float = 0.25):
    """Poll ``condition`` until it returns a truthy value; fail naming ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)
