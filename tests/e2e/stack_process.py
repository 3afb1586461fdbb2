"""``python -m devstack`` (what ``make run`` runs) as a child process of a test, on free ports."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from devstack.emulator import free_port
from devstack.stack import PROJECT_DIR

__all__ = ["StackProcess"]


class StackProcess:
    """One run of the stack: started, waited on until ``ready``, stopped like Ctrl-C."""

    def __init__(self, aws_port: int, api_port: int, log_dir: Path, **extra_env: str) -> None:
        self.aws_port, self.api_port, self.log_dir = aws_port, api_port, log_dir
        self.output: list[str] = []
        self._ready = threading.Event()
        env = {
            **os.environ,
            "LOCAL_AWS_PORT": str(aws_port),
            "API_PORT": str(api_port),
            "LOCAL_LOG_DIR": str(log_dir),
            "DEBUG_LOG_SAMPLE_RATE": "0",
            "LOCAL_SNAPSHOT_SECONDS": "0",  # saved at stop only: no scan in the middle of a test
            "MONITOR_PORT": str(free_port()),  # the operations page
            **extra_env,
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "devstack"],
            cwd=PROJECT_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._pump, daemon=True).start()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def monitor_url(self) -> str:
        """The operations page's URL, as the ready line prints it."""
        ready = next(line for line in self.output if line.startswith("ready"))
        return ready.split("operations page ", 1)[1].split(",", 1)[0]

    @property
    def aws_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.aws_port}"

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)
            if line.startswith("ready"):
                self._ready.set()

    def wait_ready(self, timeout: float = 120) -> None:
        """Return once the stack printed ``ready``; raise with its last lines otherwise."""
        deadline = time.monotonic() + timeout
        while not self._ready.wait(0.2):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.process.kill()
                raise AssertionError(
                    "the local stack did not become ready:\n" + "".join(self.output[-40:])
                )

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM, as Ctrl-C; the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()
