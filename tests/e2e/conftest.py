"""The whole local stack, started exactly as ``make run`` starts it, on free ports."""

from __future__ import annotations

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
def stack_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    """One stack for every e2e test; it leaves the environment alone."""
    stack = StackProcess(free_port(), free_port(), tmp_path_factory.mktemp("stack-logs"))
    try:
        stack.wait_ready()
    except AssertionError as failure:
        pytest.fail(str(failure))
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="module")
def local_stack(stack_process: StackProcess) -> Iterator[RunningStack]:
    """The stack, with the SDK variables pointing at its emulator for this module only:
    the tests that run after it must reach their own emulator, not this stack's."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in aws_environment(stack_process.aws_endpoint).items():
            patch.setenv(name, value)
        yield RunningStack(
            api_url=stack_process.api_url,
            aws_endpoint=stack_process.aws_endpoint,
            log_file=stack_process.log_dir / "stack.log",
            output=stack_process.output,
        )


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
