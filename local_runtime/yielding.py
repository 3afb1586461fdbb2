"""Local only: an SNS function that gives way to others while they have work.

Lambda gives every function environments of its own, so a bulk lane's invocations never
take CPU from a priority lane's. Here every function shares one process and one
emulator on a laptop's cores: each bulk invocation in flight slows the priority lane's
calls. A function with a ``local_runtime`` rule in ``.chalice/config.json``
(``stages.<stage>.lambda_functions.<function>.local_runtime``) starts at most
``concurrency_while_yielding`` invocations while any function of its ``yield_to`` has an
event in progress (handed to a worker, not yet done; a retry waiting out its delay is
not in progress), and up to its ``reserved_concurrency`` otherwise:

    "local_runtime": {"yield_to": ["add_to_feed_priority"], "concurrency_while_yielding": 1}

Invocations already running finish; only new ones wait. AWS has no such rule and needs
none; deployed stages ignore the key. Written here because no library schedules one
process's Lambda stand-ins.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from local_runtime.config import ConfigError

__all__ = ["LaneBoard", "YieldRule", "parse_yield_rules"]

_KEYS = {"yield_to", "concurrency_while_yielding"}


@dataclass(frozen=True)
class YieldRule:
    """Give way to ``to``: at most ``concurrency`` invocations while any of them is busy."""

    to: tuple[str, ...]
    concurrency: int = 1


def parse_yield_rules(
    settings: Mapping[str, Any], pools: Mapping[str, int]
) -> dict[str, YieldRule]:
    """Each function's ``local_runtime`` object, checked against the app's SNS
    functions (``pools``: name -> worker pool size); refused with the function's name
    and the key, like every other setting."""
    rules: dict[str, YieldRule] = {}
    for function, value in settings.items():
        if function not in pools:
            raise ConfigError(
                f"{function}: local_runtime is set but the app has no SNS handler of that name"
            )
        rules[function] = _rule(function, value, pools)
    return rules


def _rule(function: str, value: Any, pools: Mapping[str, int]) -> YieldRule:
    if not isinstance(value, dict):
        raise ConfigError(f"{function}: local_runtime must be an object, got {value!r}")
    unknown = sorted(set(value) - _KEYS)
    if unknown:
        raise ConfigError(f"{function}: local_runtime has unknown key(s) {', '.join(unknown)}")
    to = value.get("yield_to")
    if not isinstance(to, list) or not to or not all(isinstance(n, str) for n in to):
        raise ConfigError(
            f"{function}: local_runtime.yield_to must be a non-empty list of function "
            f"names, got {to!r}"
        )
    for name in to:
        if name == function or name not in pools:
            raise ConfigError(
                f"{function}: local_runtime.yield_to names {name!r}, which is not another "
                "SNS handler of the app"
            )
    concurrency = value.get("concurrency_while_yielding", 1)
    pool = pools[function]
    if pool < 2:
        raise ConfigError(
            f"{function}: local_runtime needs a reserved_concurrency of 2 or more to yield "
            f"from, got {pool}"
        )
    if isinstance(concurrency, bool) or not isinstance(concurrency, int):
        raise ConfigError(
            f"{function}: local_runtime.concurrency_while_yielding must be an integer, "
            f"got {concurrency!r}"
        )
    if not 1 <= concurrency < pool:
        raise ConfigError(
            f"{function}: local_runtime.concurrency_while_yielding must be 1..{pool - 1} "
            f"(below its reserved_concurrency, {pool}), got {concurrency}"
        )
    return YieldRule(tuple(to), concurrency)


class LaneBoard:
    """Every SNS function's events in progress, and the gate of those that yield.

    One condition for the whole runtime: a function going idle wakes whoever waits.
    """

    def __init__(self, rules: Mapping[str, YieldRule], stopping: threading.Event) -> None:
        self._rules = dict(rules)
        self._stopping = stopping
        self._busy: Counter[str] = Counter()
        self._running: Counter[str] = Counter()
        self._waiting: Counter[str] = Counter()
        self._changed = threading.Condition()

    def begin(self, function: str) -> None:
        """An event of ``function`` was handed to a worker."""
        with self._changed:
            self._busy[function] += 1

    def end(self, function: str) -> None:
        """That event is done, or waits for a retry."""
        with self._changed:
            self._busy[function] -= 1
            if not self._busy[function]:
                self._changed.notify_all()

    def enter(self, function: str) -> bool:
        """Wait until ``function`` may start an invocation; False once the runtime stops."""
        rule = self._rules.get(function)
        with self._changed:
            self._waiting[function] += 1
            try:
                while rule is not None and self._must_wait(function, rule):
                    if self._stopping.is_set():
                        return False
                    self._changed.wait(0.5)  # wakes on a change; the timeout sees a stop
            finally:
                self._waiting[function] -= 1
            self._running[function] += 1
        return True

    def leave(self, function: str) -> None:
        with self._changed:
            self._running[function] -= 1
            self._changed.notify_all()

    def in_progress(self, function: str) -> int:
        with self._changed:
            return self._busy[function]

    def waiting(self, function: str) -> int:
        """Invocations of ``function`` waiting to start."""
        with self._changed:
            return self._waiting[function]

    def describe(self, function: str) -> str | None:
        """For the status line: what ``function`` waits for, if anything."""
        rule = self._rules.get(function)
        waiting = self.waiting(function)
        if rule is None or not waiting:
            return None
        return f"waiting-to-start={waiting} (yielding to {', '.join(rule.to)})"

    def _must_wait(self, function: str, rule: YieldRule) -> bool:
        yielding = any(self._busy[name] for name in rule.to)
        return yielding and self._running[function] >= rule.concurrency
