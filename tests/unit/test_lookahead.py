"""OneAhead: chunks applied in order, the next one started when one is taken, never two
ahead, errors raised where the result is taken, and no call left running on exit."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any

import pytest

from chalicelib.services.lookahead import OneAhead

WAIT_S = 10  # a bound on waiting for a condition, never expected to pass


class HeldPool(Executor):
    """An executor that runs nothing until told: each submission waits, in order."""

    def __init__(self) -> None:
        self.submitted: list[Any] = []
        self.futures: list[Future[Any]] = []
        self._held: list[tuple[Future[Any], Callable[..., Any], tuple[Any, ...]]] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        self.submitted.append(args[0])
        self.futures.append(future)
        self._held.append((future, fn, args))
        return future

    def run_next(self) -> None:
        future, fn, args = self._held.pop(0)
        future.set_result(fn(*args))


def test_each_chunk_comes_back_with_its_result_in_order():
    chunks = [[1, 2], [3], [4, 5, 6], [7]]
    with OneAhead(sum, chunks) as ahead:
        taken = []
        while ahead.more():
            taken.append(ahead.take())
    assert taken == [([1, 2], 3), ([3], 3), ([4, 5, 6], 15), ([7], 7)]


def test_the_next_chunk_is_started_when_one_is_taken_and_never_two_ahead():
    pool = HeldPool()
    with OneAhead(len, ["a", "bb", "ccc"], pool=pool) as ahead:
        # entering starts the first chunk only
        assert pool.submitted == ["a"]
        pool.run_next()
        # taking it starts the second before it returns, and not the third
        assert ahead.take() == ("a", 1)
        assert pool.submitted == ["a", "bb"]
        pool.run_next()
        assert ahead.take() == ("bb", 2)
        assert pool.submitted == ["a", "bb", "ccc"]
        pool.run_next()
        assert ahead.take() == ("ccc", 3)
        assert not ahead.more()


def test_the_next_chunk_runs_in_another_thread_while_the_caller_works():
    started, release = threading.Event(), threading.Event()
    caller = threading.current_thread()
    threads: list[threading.Thread] = []

    def apply(chunk: str) -> str:
        threads.append(threading.current_thread())
        if chunk == "second":
            started.set()
            assert release.wait(WAIT_S)
        return chunk.upper()

    with OneAhead(apply, ["first", "second"]) as ahead:
        assert ahead.take() == ("first", "FIRST")
        # the second lookup is in flight while the caller goes on (here: waits for it)
        assert started.wait(WAIT_S)
        release.set()
        assert ahead.take() == ("second", "SECOND")
    assert caller not in threads


def test_a_single_chunk_is_applied_in_the_callers_thread():
    threads: list[threading.Thread] = []

    def apply(chunk: list[int]) -> int:
        threads.append(threading.current_thread())
        return len(chunk)

    with OneAhead(apply, [[1, 2, 3]]) as ahead:
        assert ahead.take() == ([1, 2, 3], 3)
        assert not ahead.more()
    assert threads == [threading.current_thread()]


@pytest.mark.parametrize("chunks", [["ok", "bad", "never"], ["bad"]], ids=["pool", "inline"])
def test_an_error_is_raised_where_its_chunk_is_taken_and_nothing_after_it_runs(chunks):
    applied: list[str] = []

    def apply(chunk: str) -> str:
        applied.append(chunk)
        if chunk == "bad":
            raise ValueError("no such table")
        return chunk

    with OneAhead(apply, chunks) as ahead:
        if chunks[0] == "ok":
            assert ahead.take() == ("ok", "ok")
        with pytest.raises(ValueError, match="no such table"):
            ahead.take()
    assert applied == chunks[: chunks.index("bad") + 1]


def test_leaving_early_waits_for_the_call_in_flight():
    started, release, left = threading.Event(), threading.Event(), threading.Event()
    seen_left: list[bool] = []

    def apply(chunk: str) -> str:
        if chunk == "second":
            started.set()
            assert release.wait(WAIT_S)
            seen_left.append(left.is_set())
        return chunk

    def consumer() -> None:
        with OneAhead(apply, ["first", "second"]) as ahead:
            ahead.take()
            assert started.wait(WAIT_S)  # the second is running; leave without taking it
        left.set()

    thread = threading.Thread(target=consumer)
    thread.start()
    assert started.wait(WAIT_S)
    # the consumer is leaving; it must not get out while the second call runs
    assert not left.wait(0.2)
    release.set()
    thread.join(WAIT_S)
    assert seen_left == [False]
    assert left.is_set()


def test_leaving_before_the_next_call_starts_cancels_it():
    pool = HeldPool()
    with OneAhead(len, ["a", "bb"], pool=pool) as ahead:
        pool.run_next()
        ahead.take()
    assert pool.submitted == ["a", "bb"]
    assert pool.futures[1].cancelled()


def test_taking_past_the_last_chunk_is_an_error():
    with OneAhead(len, []) as ahead:
        assert not ahead.more()
        with pytest.raises(IndexError, match="no chunk left"):
            ahead.take()
