"""``python -m devstack`` (what ``make run`` runs) as a child process of a test, on free ports.

``terminal=True`` runs it as a user's terminal does: as the session leader of a new
pseudo-terminal, in its foreground process group, so that ``interrupt()`` is a real
Ctrl-C: the terminal's interrupt character written to the master side, turned by the
line discipline into SIGINT for the whole foreground process group.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path
from typing import ClassVar

from devstack.emulator import free_port
from devstack.stack import PROJECT_DIR

__all__ = ["StackProcess"]

# runs in the new session: take the terminal on stdin as the controlling one, then become
# the stack (same pid), which makes the stack the foreground process group's leader
_TAKE_TERMINAL = (
    "import fcntl, os, sys, termios; fcntl.ioctl(0, termios.TIOCSCTTY, 0); "
    "os.execv(sys.argv[1], sys.argv[1:])"
)


class StackProcess:
    """One run of the stack: started, waited on until ``ready``, stopped by a signal."""

    started: ClassVar[list[StackProcess]] = []  # every run, for the e2e tests' clean-up

    def __init__(
        self,
        aws_port: int,
        api_port: int,
        log_dir: Path,
        terminal: bool = False,
        **extra_env: str,
    ) -> None:
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
        command = [sys.executable, "-m", "devstack"]
        self._terminal: int | None = None
        if terminal:
            self._terminal, side = os.openpty()
            self.process = subprocess.Popen(
                [sys.executable, "-c", _TAKE_TERMINAL, *command],
                cwd=PROJECT_DIR,
                env=env,
                stdin=side,
                stdout=side,
                stderr=side,
                start_new_session=True,
            )
            os.close(side)
            self._reader = threading.Thread(target=self._pump_terminal, daemon=True)
            self._reader.start()
        else:
            self.process = subprocess.Popen(
                command,
                cwd=PROJECT_DIR,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            self._reader = threading.Thread(target=self._pump, daemon=True)
            self._reader.start()
        StackProcess.started.append(self)

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

    def _line(self, line: str) -> None:
        self.output.append(line)
        if line.startswith("ready"):
            self._ready.set()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._line(line)

    def _pump_terminal(self) -> None:
        """The terminal's output as lines (it ends lines with CR LF; EIO once it closes)."""
        assert self._terminal is not None
        pending = b""
        try:
            while chunk := os.read(self._terminal, 65536):
                pending += chunk.replace(b"\r\n", b"\n")
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    self._line(line.decode(errors="replace") + "\n")
        except OSError:
            pass
        if pending:
            self._line(pending.decode(errors="replace"))

    def wait_ready(self, timeout: float = 120) -> None:
        """Return once the stack printed ``ready``; raise with its last lines otherwise."""
        deadline = time.monotonic() + timeout
        while not self._ready.wait(0.2):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.process.kill()
                raise AssertionError(
                    "the local stack did not become ready:\n" + "".join(self.output[-40:])
                )

    def interrupt(self, timeout: float = 60) -> int:
        """Ctrl-C typed into the terminal (``terminal=True``); the exit code."""
        assert self._terminal is not None, "Ctrl-C needs the stack started with terminal=True"
        interrupt_character = termios.tcgetattr(self._terminal)[6][termios.VINTR]
        os.write(self._terminal, interrupt_character)
        return self._wait(timeout)

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM to the stack's process alone, as a service manager stops it; the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self._wait(timeout)

    def _wait(self, timeout: float) -> int:
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self._reader.join(timeout=10)  # the last lines
        if self._terminal is not None:
            os.close(self._terminal)
            self._terminal = None
        return code
