"""The measured window of a variant's run: what the stack's processes did between its
opening (just before the first measured post) and its closing (once every entry is
seen). Calls and their seconds come from the processes' tallies (``counting.py``), CPU
seconds from the kernel's account of each process (``cpu.py``).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .calls import merge
from .counting import difference, read_tallies
from .cpu import cpu_delta, sample

__all__ = ["Window", "WindowFigures"]


@dataclass(frozen=True)
class WindowFigures:
    calls: dict[str, int]
    seconds_by_op: dict[str, float]
    cpu_seconds: dict[str, float | None]  # process name -> CPU seconds in the window
    cpu_window_s: float  # wall seconds between the two CPU samples


def _tally(counts_dir: Path, pids: list[int]) -> tuple[dict[str, int], dict[str, float]]:
    tallies = read_tallies(counts_dir)
    chosen = [tallies.get(str(pid), {}) for pid in pids]
    calls = merge(t.get("calls", {}) for t in chosen)
    seconds: dict[str, float] = {}
    for t in chosen:
        for op, s in t.get("seconds", {}).items():
            seconds[op] = seconds.get(op, 0.0) + s
    return calls, seconds


def _settle(counts_dir: Path, pids: list[int], timeout: float = 60.0) -> None:
    """Until every counting process of ``pids`` has written a tally begun after this call,
    so it holds every call made before. A fixed second was once too short for a dumping
    thread on a loaded machine: the warm-up's last calls were counted as measured ones."""
    since, deadline = time.time(), time.monotonic() + timeout
    while time.monotonic() < deadline:
        tallies = read_tallies(counts_dir)
        if all(tallies[str(pid)].get("at", 0.0) > since for pid in pids if str(pid) in tallies):
            return
        time.sleep(0.05)


@dataclass
class Window:
    """``open()`` before the first measured post, ``close()`` once every entry is seen.

    ``counted``: the pids whose tallies hold the calls; ``cpu``: the processes whose CPU
    seconds are reported, by name (``emulator``, ``runtime``, ``api``)."""

    counts_dir: Path
    counted: list[int]
    cpu: Mapping[str, int]
    _calls: dict[str, int] = field(default_factory=dict)
    _seconds: dict[str, float] = field(default_factory=dict)
    _cpu: dict[str, float | None] = field(default_factory=dict)
    _opened: float = 0.0

    def open(self) -> None:
        _settle(self.counts_dir, self.counted)
        self._calls, self._seconds = _tally(self.counts_dir, self.counted)
        self._cpu, self._opened = sample(self.cpu), time.monotonic()

    def close(self) -> WindowFigures:
        cpu, closed = sample(self.cpu), time.monotonic()  # before settling: the run's own
        _settle(self.counts_dir, self.counted)
        calls, seconds = _tally(self.counts_dir, self.counted)
        return WindowFigures(
            calls=difference(calls, self._calls),
            seconds_by_op={op: s - self._seconds.get(op, 0.0) for op, s in seconds.items()},
            cpu_seconds=cpu_delta(self._cpu, cpu),
            cpu_window_s=round(closed - self._opened, 3),
        )
