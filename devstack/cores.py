"""Which CPU cores the local stack's processes run on: the emulator on a core of its own,
its callers (the event runtime, the HTTP API, a benchmark's raw write loop) on the others.

Why: the emulator and the runtime hand every call back and forth, each waiting for the
other's answer. Left to the scheduler on a 2-core machine, they share cores with each
other and with everything else: during a 20,000-follower post (``perf stat``, 3 s) the
runtime's threads moved between the cores 1,985 times and the emulator was switched out
1,702 times; with the cores split, no moves, and 232 switches of the emulator. Measured
side by side on this project's 2-core machine (``make bench-post FOLLOWERS=20000``, six
pairs, 2026-12-08): the post went at 9,894 entries/s on average between its first and
last entry with the cores split, against 8,834/s without (1.12 x), and the emulator's
raw BatchWriteItem rate, measured in the same runs, was 1.08 x. On AWS the two never
share a CPU: DynamoDB is another service's fleet.

What: on Linux, with two or more cores allowed, the emulator runs on the lowest-numbered
one and every caller on the rest (``os.sched_setaffinity``, set by ``devstack.lifeline``
before it becomes the child, so every thread the child starts has it).
``LOCAL_CPU_PINNING=0`` leaves placement to the scheduler; with one core, or where Python
has no affinity call (macOS), nothing is pinned.

Written by hand: the standard library has the call; nothing decides the split.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from .flags import flag_on
from .lifeline import format_cpus

__all__ = ["Cores", "pinned", "plan"]

SETTING = "LOCAL_CPU_PINNING"


@dataclass(frozen=True)
class Cores:
    """The emulator's cores and its callers' cores, disjoint, neither empty."""

    emulator: frozenset[int]
    callers: frozenset[int]

    def describe(self) -> str:
        return (
            f"the emulator on {_cores(self.emulator)}, its callers on {_cores(self.callers)} "
            f"({SETTING}=0 leaves them to the scheduler)"
        )


def plan(
    environ: Mapping[str, str] = os.environ, allowed: Collection[int] | None = None
) -> Cores | None:
    """The split of ``allowed`` (default: the cores this process may run on), or None when
    nothing is to be pinned."""
    if not flag_on(environ.get(SETTING)):
        return None
    if allowed is None:
        if not hasattr(os, "sched_getaffinity"):
            return None
        allowed = os.sched_getaffinity(0)
    if len(allowed) < 2:
        return None
    first = min(allowed)
    return Cores(frozenset({first}), frozenset(allowed) - {first})


@contextmanager
def pinned(cpus: Collection[int] | None) -> Iterator[None]:
    """This thread, and the threads and children it starts meanwhile, on ``cpus`` only
    (None: left as it is); the thread's own cores are put back on the way out."""
    if cpus is None:
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cpus)
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def _cores(cpus: frozenset[int]) -> str:
    return ("core " if len(cpus) == 1 else "cores ") + format_cpus(cpus)
