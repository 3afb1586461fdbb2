"""persist: a call a poller cannot skip is retried until it succeeds, and says why it waits."""

from __future__ import annotations

import threading

import pytest

from local_runtime.retrying import Stopped, StuckReasons, persist


def test_a_failing_call_is_retried_until_it_succeeds_and_the_reason_shown_meanwhile():
    # GIVEN a call that fails twice, recording the stuck reason seen at each attempt
    stuck = StuckReasons()
    seen: list[str | None] = []

    def write() -> str:
        seen.append(stuck.describe())
        if len(seen) <= 2:
            raise ConnectionError("endpoint down")
        return "written"

    # WHEN it is persisted
    result = persist(
        "checkpoint write",
        write,
        source="s",
        stopping=threading.Event(),
        stuck=stuck,
        delays=(0, 0),
    )
    # THEN it was tried three times, stuck with the reason in between, and clear after
    assert result == "written"
    reason = "stuck: checkpoint write failed (ConnectionError: endpoint down)"
    assert seen == [None, reason, reason]
    assert stuck.describe() is None


def test_a_stop_while_retrying_raises_stopped_and_keeps_the_reason():
    stuck = StuckReasons()
    stopping = threading.Event()

    def write() -> None:
        stopping.set()
        raise ConnectionError("endpoint down")

    with pytest.raises(Stopped):
        persist("on-failure record", write, source="s", stopping=stopping, stuck=stuck)
    assert stuck.describe() == "stuck: on-failure record failed (ConnectionError: endpoint down)"
