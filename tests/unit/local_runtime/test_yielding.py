"""The local-only yield rule: its settings are checked like Lambda's, its gate lets go on a stop."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from local_runtime.config import ConfigError
from local_runtime.yielding import LaneBoard, YieldRule, parse_yield_rules

POOLS = {"bulk": 4, "priority": 8, "notified": 4, "single": 1}


def test_a_rule_is_read_with_its_default_of_one_while_yielding():
    rules = parse_yield_rules({"bulk": {"yield_to": ["priority", "notified"]}}, POOLS)
    assert rules == {"bulk": YieldRule(("priority", "notified"), 1)}


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"consume": {"yield_to": ["priority"]}},
            "consume: local_runtime is set but the app has no SNS handler of that name",
        ),
        ({"bulk": ["priority"]}, "bulk: local_runtime must be an object, got ['priority']"),
        (
            {"bulk": {"yield_to": ["priority"], "yield": 1}},
            "bulk: local_runtime has unknown key(s) yield",
        ),
        (
            {"bulk": {"yield_to": []}},
            "bulk: local_runtime.yield_to must be a non-empty list of function names, got []",
        ),
        (
            {"bulk": {"yield_to": "priority"}},
            "bulk: local_runtime.yield_to must be a non-empty list of function names, "
            "got 'priority'",
        ),
        (
            {"bulk": {"yield_to": ["bulk"]}},
            "bulk: local_runtime.yield_to names 'bulk', which is not another SNS handler "
            "of the app",
        ),
        (
            {"bulk": {"yield_to": ["consume"]}},
            "bulk: local_runtime.yield_to names 'consume', which is not another SNS handler "
            "of the app",
        ),
        (
            {"single": {"yield_to": ["priority"]}},
            "single: local_runtime needs a reserved_concurrency of 2 or more to yield from, got 1",
        ),
        (
            {"bulk": {"yield_to": ["priority"], "concurrency_while_yielding": True}},
            "bulk: local_runtime.concurrency_while_yielding must be an integer, got True",
        ),
        (
            {"bulk": {"yield_to": ["priority"], "concurrency_while_yielding": 0}},
            "bulk: local_runtime.concurrency_while_yielding must be 1..3 (below its "
            "reserved_concurrency, 4), got 0",
        ),
        (
            {"bulk": {"yield_to": ["priority"], "concurrency_while_yielding": 4}},
            "bulk: local_runtime.concurrency_while_yielding must be 1..3 (below its "
            "reserved_concurrency, 4), got 4",
        ),
    ],
)
def test_a_rule_the_runtime_cannot_honour_is_refused(settings, message):
    with pytest.raises(ConfigError) as raised:
        parse_yield_rules(settings, POOLS)
    assert str(raised.value) == message


def test_an_invocation_waiting_to_start_gives_up_when_the_runtime_stops():
    # GIVEN bulk yields to priority, which has an event in progress, and one bulk runs
    stopping = threading.Event()
    board = LaneBoard({"bulk": YieldRule(("priority",), 1)}, stopping)
    board.begin("priority")
    assert board.enter("bulk") is True
    with ThreadPoolExecutor(1) as pool:
        # WHEN a second bulk invocation asks to start, and the runtime stops
        second = pool.submit(board.enter, "bulk")
        stopping.set()
        # THEN it does not start
        assert second.result(timeout=10) is False
    assert board.waiting("bulk") == 0


def test_functions_without_a_rule_and_idle_lanes_never_wait():
    board = LaneBoard({"bulk": YieldRule(("priority",), 1)}, threading.Event())
    board.begin("priority")
    assert [board.enter("priority") for _ in range(3)] == [True, True, True]
    board.end("priority")
    assert board.in_progress("priority") == 0
    assert [board.enter("bulk") for _ in range(3)] == [True, True, True]
    assert board.describe("bulk") is None
