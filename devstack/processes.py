"""Child processes of the stack: started with their output echoed, stopped in order.

Each child runs in a session of its own, so a terminal's Ctrl-C (SIGINT to the whole
foreground process group) reaches only the stack, which then stops its children in
order; and each ends with this process, even a SIGKILLed one (``devstack.lifeline``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from .lifeline import command

__all__ = ["Child", "start_child"]


@dataclass
class Child:
    name: str
    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    _ready: threading.Event = field(default_factory=threading.Event)

    def wait_for_line(self, prefix: str, timeout: float) -> str:
        """Block until the child prints a line starting with ``prefix``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if line.startswith(prefix):
                    return line
            if self.process.poll() is not None:
                tail = "".join(self.lines[-20:])
                raise RuntimeError(
                    f"{self.name} exited with code {self.process.returncode}:\n{tail}"
                )
            self._ready.wait(0.1)
            self._ready.clear()
        raise TimeoutError(
            f"{self.name} printed no line starting with {prefix!r} in {timeout:.0f}s"
        )

    def stop(self, timeout: float = 10) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _pump(child: Child, stream: IO[str], echo: Callable[[str], None], log: IO[str]) -> None:
    for line in stream:
        child.lines.append(line)
        del child.lines[:-500]  # keep the tail only
        child._ready.set()
        log.write(line)
        log.flush()
        echo(f"[{child.name}] {line}")


def start_child(
    name: str,
    argv: Sequence[str],
    env: dict[str, str],
    log_dir: Path,
    cwd: Path,
    echo: bool = True,
    cpus: Collection[int] | None = None,
) -> Child:
    """Start ``argv`` with stdout and stderr merged, kept in ``log_dir/<name>.log``; on
    ``cpus`` only, when given (``devstack.cores``)."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log = (log_dir / f"{name}.log").open("a", encoding="utf-8")
    process = subprocess.Popen(
        command(argv, cpus=cpus),
        cwd=cwd,
        env={**os.environ, **env, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        bufsize=1,
        start_new_session=True,
    )
    child = Child(name=name, process=process)

    def write(text: str) -> None:
        if echo:
            sys.stdout.write(text)
            sys.stdout.flush()

    assert process.stdout is not None
    threading.Thread(
        target=_pump, args=(child, process.stdout, write, log), name=f"pump-{name}", daemon=True
    ).start()
    return child
