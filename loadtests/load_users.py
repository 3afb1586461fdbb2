"""Whom ``make load``'s simulated users follow; apart from ``locustfile.py`` because
importing Locust monkey-patches the whole process with gevent, and the unit tests import
this."""

from __future__ import annotations

__all__ = ["others"]


def others(serial: int, pool: int) -> list[int]:
    """The ids of the pool of ``pool`` users that user ``serial`` may follow: all but its
    own, since the API refuses a user following themselves (400)."""
    return [n for n in range(pool) if n != serial]
