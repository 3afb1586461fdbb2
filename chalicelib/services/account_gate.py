"""The sign-in middleware's question per request: may this signed-in user still act?

A valid token of a deleted account is refused. The answer is kept per container for
``ACCOUNT_STATUS_CACHE_SECONDS``, so a user's requests cost one read of the users table per
container per that many seconds, and a deletion reaches every container within it. A
deleted account stays deleted, so that answer is kept for good. A signed-in user without
a row (a sign-up whose trigger failed) gets it here, with the trigger's condition.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from threading import Lock

from ..domain.posts import iso_millis
from .accounts import UserStore

__all__ = ["AccountGate"]

MAX_CACHED = 10_000
"""Users whose answer a container keeps; the oldest answers are dropped beyond it."""


class AccountGate:
    def __init__(
        self,
        users: UserStore,
        cache_seconds: float,
        monotonic: Callable[[], float] = time.monotonic,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._users = users
        self._cache_seconds = cache_seconds
        self._monotonic = monotonic
        self._clock = clock
        self._answers: OrderedDict[str, tuple[bool, float]] = OrderedDict()
        self._lock = Lock()

    def admits(self, user_id: str) -> bool:
        """False for a deleted account; True for an active one (its row written if missing)."""
        now = self._monotonic()
        with self._lock:
            cached = self._answers.get(user_id)
        if cached is not None:
            active, at = cached
            if not active or now - at < self._cache_seconds:
                return active
        account = self._users.get(user_id)
        if account is None and self._users.register(user_id, iso_millis(self._clock())):
            active = True
        else:  # a row written meanwhile (by a deletion, say) is the answer
            account = account or self._users.get(user_id)
            active = account is not None and account.active
        self._remember(user_id, active, now)
        return active

    def deleted(self, user_id: str) -> None:
        """The account was deleted by this container: refuse its tokens here at once."""
        self._remember(user_id, False, self._monotonic())

    def _remember(self, user_id: str, active: bool, at: float) -> None:
        if self._cache_seconds <= 0 and active:
            return
        with self._lock:
            self._answers[user_id] = (active, at)
            self._answers.move_to_end(user_id)
            while len(self._answers) > MAX_CACHED:
                self._answers.popitem(last=False)
