"""``python -m devstack.lifeline PID -- COMMAND ...``: run COMMAND, and end it when PID dies.

Why: ``make run`` stops its children on Ctrl-C or SIGTERM, but a SIGKILL (or a crash)
gives it no chance, and orphaned children would keep holding the stack's ports. The
children run in sessions of their own (so that a terminal's Ctrl-C reaches only the
stack, which saves the local data before it stops them), so no terminal signal ends
them either: this module does. Every child of the stack is started through it:

- on Linux the kernel sends SIGTERM to COMMAND when its parent dies (``prctl`` with
  ``PR_SET_PDEATHSIG``, which survives ``exec``), so this process simply becomes
  COMMAND: same pid, no extra process;
- elsewhere this process stays between the two as a watchdog: it forwards SIGTERM and
  SIGINT to COMMAND, polls its own parent, and terminates COMMAND when PID is gone.

``--cpus 0,1`` runs COMMAND on those cores only (``devstack.cores``): set here, before
COMMAND starts, so that every thread it starts has them too.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
import time
from collections.abc import Collection, Sequence
from types import FrameType

__all__ = ["command", "format_cpus", "main", "parse_cpus"]

_PR_SET_PDEATHSIG = 1
POLL_SECONDS = 0.5


def command(
    argv: Sequence[str], parent_pid: int | None = None, cpus: Collection[int] | None = None
) -> list[str]:
    """``argv`` wrapped so that it ends when ``parent_pid`` (default: this process) dies,
    and runs on ``cpus`` only when given."""
    parent = os.getpid() if parent_pid is None else parent_pid
    pinned = [] if cpus is None else ["--cpus", format_cpus(cpus)]
    return [sys.executable, os.path.abspath(__file__), *pinned, str(parent), "--", *argv]


def _set_parent_death_signal() -> bool:
    """Ask the kernel for SIGTERM when the parent dies; False where there is no prctl."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    return bool(libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) == 0)


def _watch(parent_pid: int, argv: list[str]) -> int:
    child = subprocess.Popen(argv)

    def forward(signum: int, frame: FrameType | None) -> None:
        child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    while child.poll() is None:
        if os.getppid() != parent_pid:
            child.terminate()
            try:
                return child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
                return child.wait()
        time.sleep(POLL_SECONDS)
    return child.returncode


def format_cpus(cpus: Collection[int]) -> str:
    """``cpus`` as ``--cpus`` takes them: ``0,2,3``."""
    return ",".join(str(cpu) for cpu in sorted(cpus))


def parse_cpus(text: str) -> frozenset[int]:
    """The inverse of ``format_cpus``; a ValueError says what is wrong."""
    parts = text.split(",")
    if not all(part.isdigit() for part in parts):
        raise ValueError(f"core numbers (0 or more) separated by commas, not {text!r}")
    return frozenset(int(part) for part in parts)


_USAGE = "usage: python -m devstack.lifeline [--watchdog] [--cpus 0,1] PID -- COMMAND ..."


def main(argv: Sequence[str] | None = None, watchdog: bool = False) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if "--watchdog" in args[:1]:
        watchdog, args = True, args[1:]
    if "--cpus" in args[:1]:
        try:
            os.sched_setaffinity(0, parse_cpus(args[1] if len(args) > 1 else ""))
        except AttributeError:
            print("--cpus: this system has no CPU affinity call (Linux has)", file=sys.stderr)
            return 2
        except (ValueError, OSError) as err:
            print(f"{_USAGE}\n--cpus: {err}", file=sys.stderr)
            return 2
        args = args[2:]
    if len(args) < 3 or args[1] != "--" or not args[0].isdigit():
        print(_USAGE, file=sys.stderr)
        return 2
    parent_pid, command_argv = int(args[0]), args[2:]
    if not watchdog and _set_parent_death_signal():
        if os.getppid() != parent_pid:
            return 1  # the parent died before the signal was armed
        os.execvp(command_argv[0], command_argv)
    if os.getppid() != parent_pid:
        return 1
    return _watch(parent_pid, command_argv)


if __name__ == "__main__":
    sys.exit(main())
