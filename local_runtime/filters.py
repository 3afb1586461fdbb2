"""Lambda event filtering (FilterCriteria): the EventBridge-style pattern subset Lambda uses.

A record is handed to the function when any filter matches it; the others are dropped
and checkpointed past (streams) or deleted (queues), as Lambda does.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["kinesis_filter_view", "matches_any", "matches_pattern", "sqs_filter_view"]

_MISSING = object()


def _match_value(rule: Any, value: Any) -> bool:
    """One element of a pattern's value list against one value."""
    if not isinstance(rule, Mapping):
        if rule is None:
            return value is None
        return value is not _MISSING and value == rule
    ((op, arg),) = rule.items() if len(rule) == 1 else (("", None),)
    if op == "exists":
        return (value is not _MISSING) == bool(arg)
    if value is _MISSING:
        return False
    if op == "prefix":
        return isinstance(value, str) and value.startswith(str(arg))
    if op == "suffix":
        return isinstance(value, str) and value.endswith(str(arg))
    if op == "equals-ignore-case":
        return isinstance(value, str) and value.lower() == str(arg).lower()
    if op == "anything-but":
        excluded = arg if isinstance(arg, list) else [arg]
        if isinstance(arg, Mapping) and "prefix" in arg:
            return not (isinstance(value, str) and value.startswith(arg["prefix"]))
        return value not in excluded
    if op == "numeric":
        return isinstance(arg, list) and _numeric(arg, value)
    return False


def _numeric(conditions: Sequence[Any], value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    checks = {
        "=": lambda a, b: a == b,
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
        ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b,
    }
    pairs = list(zip(conditions[0::2], conditions[1::2], strict=False))
    return all(op in checks and checks[op](value, bound) for op, bound in pairs)


def matches_pattern(pattern: Mapping[str, Any], data: Any) -> bool:
    """Every key of the pattern matches: nested objects recurse, lists are alternatives."""
    for key, rule in pattern.items():
        value = data.get(key, _MISSING) if isinstance(data, Mapping) else _MISSING
        if isinstance(rule, Mapping):
            if value is _MISSING or not isinstance(value, Mapping):
                return False
            if not matches_pattern(rule, value):
                return False
            continue
        alternatives = rule if isinstance(rule, list) else [rule]
        values = value if isinstance(value, list) else [value]
        if not any(_match_value(alt, v) for alt in alternatives for v in values):
            return False
    return True


def matches_any(patterns: Sequence[Mapping[str, Any]], data: Any) -> bool:
    return not patterns or any(matches_pattern(p, data) for p in patterns)


def _json_or_missing(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return _MISSING


def kinesis_filter_view(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The record as filters see it: metadata keys, ``data`` decoded when it is JSON."""
    view = {k: v for k, v in payload.items() if k != "data"}
    try:
        decoded = _json_or_missing(base64.b64decode(payload["data"]).decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        decoded = _MISSING
    if decoded is not _MISSING:
        view["data"] = decoded
    return view


def sqs_filter_view(record: Mapping[str, Any]) -> dict[str, Any]:
    """The SQS record as filters see it: ``body`` decoded when it is JSON, else the string."""
    view = dict(record)
    body = _json_or_missing(record.get("body", ""))
    view["body"] = record.get("body", "") if body is _MISSING else body
    return view
