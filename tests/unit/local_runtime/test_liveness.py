"""How far an empty ReceiveMessage shows its queue empty: what idleness is built on."""

from __future__ import annotations

from local_runtime.target import Liveness, empty_through, now


def test_a_short_poll_shows_the_queue_empty_at_its_start_only():
    started = now() - 5.0
    assert empty_through(started, 0) == started


def test_a_long_poll_that_waited_its_whole_wait_covers_it_to_its_end():
    started = now() - 5.0
    assert empty_through(started, 2) == started + 2


def test_a_long_poll_answered_sooner_than_its_wait_covers_its_start_only():
    started = now()
    assert empty_through(started, 20) == started


def test_a_source_is_idle_since_a_moment_its_last_long_poll_covered():
    # GIVEN a long poll of 2 s that started 1 s before the moment asked about, and ran out
    liveness = Liveness()
    since = now() - 3.0
    liveness.polled_empty(empty_through(since - 1.0, 2))
    # THEN the queue was seen empty after that moment: idle since then, not a second later
    assert liveness.idle_since(since)
    assert not liveness.idle_since(since + 1.5)
