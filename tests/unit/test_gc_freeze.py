"""The emulator's heap is frozen every tick, frozen objects are still freed by reference
counting, and a cycle frozen before it became garbage waits for ``gc.unfreeze``
(devstack.gc_freeze)."""

from __future__ import annotations

import gc
import threading
import time
import weakref
from collections.abc import Iterator

import pytest

from devstack.gc_freeze import keep_frozen


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


@pytest.fixture
def thawed() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


def _frozen() -> int:
    deadline = time.monotonic() + 10
    while gc.get_freeze_count() == 0 and time.monotonic() < deadline:
        time.sleep(0.005)
    return gc.get_freeze_count()


def test_the_thread_freezes_the_heap_until_it_is_stopped(thawed):
    stop = threading.Event()
    thread = keep_frozen(every=0.01, stop=stop)
    assert thread.daemon
    assert _frozen() > 0
    stop.set()
    thread.join(timeout=5)
    assert not thread.is_alive()


def test_a_frozen_object_is_freed_when_its_last_reference_goes(thawed):
    kept = _Node()
    gone = weakref.ref(kept)
    gc.freeze()
    del kept
    assert gone() is None


def test_a_cycle_frozen_before_it_became_garbage_waits_for_unfreeze(thawed):
    first, second = _Node(), _Node()
    first.other, second.other = second, first
    gone = weakref.ref(first)
    gc.freeze()
    del first, second
    gc.collect()
    assert gone() is not None
    gc.unfreeze()
    gc.collect()
    assert gone() is None
