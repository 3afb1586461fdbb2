"""The whole local stack, started exactly as ``make run`` starts it, on free ports."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest

from devstack.emulator import aws_environment, free_port
from devstack.stack import PROJECT_DIR
from devstack.user_pool import create_user, find_user_pool, sign_in


@dataclass
class RunningStack:
    api_url: str
    aws_endpoint: str
    log_file: Path
    output: list[str]


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    log_dir = tmp_path_factory.mktemp("stack-logs")
    aws_port, api_port = free_port(), free_port()
    env = {
        **os.environ,
        "LOCAL_AWS_PORT": str(aws_port),
        "API_PORT": str(api_port),
        "LOCAL_LOG_DIR": str(log_dir),
        "DEBUG_LOG_SAMPLE_RATE": "0",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "devstack"],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    ready = threading.Event()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            if line.startswith("ready"):
                ready.set()

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + 120
    while not ready.wait(0.2):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("the local stack did not become ready:\n" + "".join(output[-40:]))
    saved = dict(os.environ)
    os.environ.update(aws_environment(f"http://127.0.0.1:{aws_port}"))
    try:
        yield RunningStack(
            api_url=f"http://127.0.0.1:{api_port}",
            aws_endpoint=f"http://127.0.0.1:{aws_port}",
            log_file=log_dir / "stack.log",
            output=output,
        )
    finally:
        os.environ.clear()
        os.environ.update(saved)
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


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


def sign_in_users(names: Iterable[str], workers: int = 8) -> dict[str, dict[str, str]]:
    """Create each user in the running stack's pool and sign them in as a client would
    (USER_PASSWORD_AUTH): their ``Authorization`` headers by name, in parallel."""
    cognito = boto3.client("cognito-idp")
    pool = find_user_pool(cognito, "local")
    assert pool is not None, "the local stack has no user pool"

    def one(name: str) -> tuple[str, dict[str, str]]:
        create_user(cognito, pool, name)
        return name, {"Authorization": f"Bearer {sign_in(cognito, pool, name)['IdToken']}"}

    with ThreadPoolExecutor(max_workers=workers) as threads:
        return dict(threads.map(one, names))
