"""A process's descendants and whether a process still runs, for the tests that kill a
parent and check that what it started ends with it (the stack's e2e tests, the lifeline's
unit test), and the cores processes may run on, for the tests of ``devstack.cores``. On
psutil and ``os``, so they need no ``/proc``."""

from __future__ import annotations

import os

import psutil

# the cores this process may run on; none known where there is no affinity call (macOS)
ALLOWED_CORES = (
    frozenset(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else frozenset()
)

__all__ = ["ALLOWED_CORES", "alive", "descendants", "thread_cores"]


def descendants(pid: int) -> dict[int, str]:
    """Every live descendant of ``pid``, with its command line."""
    found: dict[int, str] = {}
    for child in psutil.Process(pid).children(recursive=True):
        try:
            found[child.pid] = " ".join(child.cmdline())
        except psutil.Error:  # ended since the listing
            continue
    return found


def alive(pid: int) -> bool:
    """Running and not a zombie (an unreaped zombie holds no port)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def thread_cores(pid: int) -> set[frozenset[int]]:
    """The distinct sets of cores the threads of ``pid`` may run on (Linux)."""
    return {frozenset(os.sched_getaffinity(t.id)) for t in psutil.Process(pid).threads()}
