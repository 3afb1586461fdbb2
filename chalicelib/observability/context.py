"""What is in force right now: the correlation ids and the Lambda invocation.

Both live in ``ContextVar``s, not in module globals or logger state, so that two
records worked on one after the other -- or two invocations running on two threads
of the local runtime -- never see each other's ids.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

__all__ = [
    "API_HANDLER",
    "CALL_CHAIN_LENGTH",
    "CORRELATION_ID",
    "CORRELATION_PREFIX",
    "DEBUG_LOG_ENABLED",
    "CorrelationIds",
    "InvocationScope",
    "bind",
    "bind_invocation",
    "current_ids",
    "current_invocation",
    "debug_enabled",
    "function_name",
]

CorrelationIds = dict[str, str]
"""Header-style, lower-case keys: x-correlation-*, call-chain-length, debug-log-enabled."""

CORRELATION_PREFIX = "x-correlation-"
CORRELATION_ID = "x-correlation-id"
CALL_CHAIN_LENGTH = "call-chain-length"
DEBUG_LOG_ENABLED = "debug-log-enabled"

_ids: ContextVar[Mapping[str, str] | None] = ContextVar("correlation_ids", default=None)


def current_ids() -> CorrelationIds:
    """The ids in force; a copy, so callers cannot change them behind bind()'s back."""
    return dict(_ids.get() or {})


def debug_enabled() -> bool:
    """True while ids sampled for debug logging are in force."""
    ids = _ids.get()
    return ids is not None and ids.get(DEBUG_LOG_ENABLED) == "true"


@contextmanager
def bind(ids: Mapping[str, str]) -> Iterator[CorrelationIds]:
    """Put ``ids`` in force for the block, then restore whatever was in force before.

    With ``debug-log-enabled: "true"`` the logger writes debug lines for the block
    (the logger asks ``debug_enabled()`` per line, so no global level is touched).
    """
    frozen = dict(ids)
    token = _ids.set(frozen)
    try:
        yield dict(frozen)
    finally:
        _ids.reset(token)


@dataclass(frozen=True)
class InvocationScope:
    """The Lambda context fields every log line carries while a handler runs."""

    function_name: str
    function_request_id: str | None = None
    cold_start: bool = False

    @classmethod
    def from_lambda_context(cls, context: Any, cold_start: bool = False) -> InvocationScope | None:
        """None when there is no context or it carries no function name."""
        name = getattr(context, "function_name", None)
        if not isinstance(name, str) or not name:
            return None
        request_id = getattr(context, "aws_request_id", None)
        return cls(
            function_name=name,
            function_request_id=request_id if isinstance(request_id, str) else None,
            cold_start=cold_start,
        )


_invocation: ContextVar[InvocationScope | None] = ContextVar("invocation", default=None)


def current_invocation() -> InvocationScope | None:
    return _invocation.get()


@contextmanager
def bind_invocation(invocation: InvocationScope | None) -> Iterator[None]:
    """Put one invocation in force for the block (None keeps the outer one)."""
    if invocation is None:
        yield
        return
    token = _invocation.set(invocation)
    try:
        yield
    finally:
        _invocation.reset(token)


API_HANDLER = "api_handler"
"""Chalice's name for the function that serves the REST API."""


def function_name() -> str:
    """The function's name: the Lambda context's, else AWS_LAMBDA_FUNCTION_NAME, else "api".

    Deployed, Lambda names a function ``{app}-{stage}-{name}`` and the API ``{app}-{stage}``.
    With CHALICE_FUNCTION_PREFIX set to ``{app}-{stage}`` the name is given back as
    Chalice names it: ``distribute_yubl``, ``add_to_feed``, ``api_handler``.
    """
    invocation = _invocation.get()
    if invocation is not None:
        name = invocation.function_name
    else:
        name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME") or "api"
    prefix = os.environ.get("CHALICE_FUNCTION_PREFIX", "").strip()
    if prefix:
        if name == prefix:
            return API_HANDLER
        if name.startswith(prefix + "-"):
            return name[len(prefix) + 1 :]
    return name
