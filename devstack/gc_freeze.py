"""The emulator's long-lived heap kept out of Python's full garbage collections
(``gc.freeze``).

Why: the emulator's heap is mostly its tables. Every DynamoDB item is an ``Item``, its
attribute map and a ``DynamoType`` per attribute, so a ``make bench`` run holds 0.7 to
1.4 million tracked objects. CPython's cyclic collector walks every one of them in a
full collection, with the whole process stopped, each time the heap has grown by a
quarter. Logged with ``gc.callbacks`` during ``make bench`` (2026-12-07): full
collections of 322, 351 and 418 ms fell inside the run's burst, and of 508 and 585 ms
after it; each found 1,000 to 4,000 objects of garbage. Every call in flight waits for
them, a small post's included.

What: a daemon thread calls ``gc.freeze()`` once a second. Everything alive then moves
to the permanent generation, which collections skip, so a full collection walks only
what was allocated since the last tick. Reference counting still frees a frozen object
that loses its last reference (a deleted item goes as before). Only a reference cycle
frozen before it became garbage is never collected: in a loop that wrote and deleted
5,000 items and passed 500 SQS messages per round, the emulator held 127 MiB after six
rounds frozen and 126 MiB without; it grew about 6.3 MiB a round either way (moto's own).

Written by hand: the standard library has the call; nothing schedules it.
"""

from __future__ import annotations

import gc
import threading

__all__ = ["FREEZE_EVERY_SECONDS", "keep_frozen"]

FREEZE_EVERY_SECONDS = 1.0


def keep_frozen(
    every: float = FREEZE_EVERY_SECONDS, stop: threading.Event | None = None
) -> threading.Thread:
    """Start a daemon thread that freezes the heap every ``every`` seconds until ``stop``
    is set (never, by default: it ends with the process)."""
    until = stop or threading.Event()

    def freeze() -> None:
        while not until.wait(every):
            gc.freeze()

    thread = threading.Thread(target=freeze, name="gc-freeze", daemon=True)
    thread.start()
    return thread
