"""One call ahead: the next chunk's lookup runs in a helper thread while this one's
results are used.

Why: a feed message of 1,000 followers is a chain of calls, ten lookups and up to forty
writes, each waiting for the one before. The lookups do not depend on the writes, so the
next lookup can be in flight while the entries it does not concern are written: on AWS
each call waits on the network, locally on the emulator's process, and either way that
wait is taken off the chain. At most one lookup is in flight, so a worker never makes
more than two calls at once, and a single chunk (a small post's message) is looked up in
the caller's thread, with no thread started. ``concurrent.futures`` does the threading;
this class only keeps the order and the one-ahead rule, which no executor API states.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor, wait
from types import TracebackType
from typing import Generic, TypeVar

__all__ = ["OneAhead"]

T = TypeVar("T")
R = TypeVar("R")


class OneAhead(Generic[T, R]):
    """``apply`` to each of ``chunks`` in order, the next one started as soon as one is
    taken. Use it as a context manager: leaving it waits for a call still in flight (its
    result unused), so no call outlives the handler that started it. ``pool`` runs the
    calls (by default a thread of its own, for more than one chunk)."""

    def __init__(
        self, apply: Callable[[T], R], chunks: Sequence[T], pool: Executor | None = None
    ) -> None:
        self._apply = apply
        self._chunks = chunks
        self._next = 0  # the chunk the call in flight is for
        self._own = pool is None and len(chunks) > 1
        self._pool = (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="lookahead") if self._own else pool
        )
        self._flight: Future[R] | None = None

    def __enter__(self) -> OneAhead[T, R]:
        self._start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._flight is not None and not self._flight.cancel():
            wait([self._flight])
        if self._own and self._pool is not None:
            self._pool.shutdown(wait=True)

    def more(self) -> bool:
        """True while a chunk is left to take."""
        return self._flight is not None

    def take(self) -> tuple[T, R]:
        """The next chunk and its result (waiting for it, or raising its error); the chunk
        after it is started before this returns."""
        if self._flight is None:
            raise IndexError("no chunk left")
        chunk, result = self._chunks[self._next], self._flight.result()
        self._next += 1
        self._start()
        return chunk, result

    def _start(self) -> None:
        if self._next >= len(self._chunks):
            self._flight = None
        elif self._pool is not None:
            self._flight = self._pool.submit(self._apply, self._chunks[self._next])
        else:
            self._flight = Future()
            try:
                self._flight.set_result(self._apply(self._chunks[self._next]))
            except Exception as error:  # raised again by take, as the pool's would be
                self._flight.set_exception(error)
