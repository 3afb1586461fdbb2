"""CPU seconds the stack's processes spend over a measured window, read with psutil.

psutil's ``cpu_times`` is the kernel's own account (on Linux ``/proc/<pid>/stat``: user
and system time of every thread of the process). A process is counted with its
descendants, so a process started behind a watchdog (``devstack.lifeline`` off Linux)
counts the same as one that replaced it. A process that is gone reads as absent, and
its figure is then ``None`` rather than a guess.
"""

from __future__ import annotations

from collections.abc import Mapping

import psutil

__all__ = ["cpu_delta", "cpu_seconds", "sample"]


def cpu_seconds(pid: int) -> float | None:
    """User plus system seconds of ``pid`` and its descendants so far; ``None`` if gone."""
    try:
        process = psutil.Process(pid)
        family = [process, *process.children(recursive=True)]
    except psutil.Error:
        return None
    total = 0.0
    for member in family:
        try:
            times = member.cpu_times()
        except psutil.Error:
            continue  # a descendant that ended between the listing and the read
        total += times.user + times.system
    return total


def sample(pids: Mapping[str, int]) -> dict[str, float | None]:
    """CPU seconds so far of each named process."""
    return {name: cpu_seconds(pid) for name, pid in pids.items()}


def cpu_delta(
    before: Mapping[str, float | None], after: Mapping[str, float | None]
) -> dict[str, float | None]:
    """Seconds spent between two samples, per process, to the millisecond; ``None`` where
    either sample misses the process."""
    spent: dict[str, float | None] = {}
    for name, start in before.items():
        end = after.get(name)
        spent[name] = None if start is None or end is None else round(end - start, 3)
    return spent
