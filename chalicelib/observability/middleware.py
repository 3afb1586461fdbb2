"""Chalice middleware: registered once in app.py, so no handler repeats this work.

- ``invocation_logging`` ('all'): the Lambda context's function name and request id
  on every line of the invocation, and one error line for an exception that escapes.
- ``http_correlation`` ('http'): ids from the request headers (new ones when none),
  in force for the request, ``x-correlation-id`` returned in the response header.

Event handlers bind ids per record, not per invocation (``streams.processor``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from chalice.app import Request, Response

from chalicelib.observability.context import (
    CORRELATION_ID,
    InvocationScope,
    bind,
    bind_invocation,
)
from chalicelib.observability.correlation import CallChainTooLong, capture, check_call_chain
from chalicelib.observability.logging import logger

__all__ = ["http_correlation", "invocation_logging"]

GetResponse = Callable[[Any], Any]

_cold_start = True
_cold_start_lock = threading.Lock()


def _take_cold_start() -> bool:
    """True for the first invocation of this process only."""
    global _cold_start
    with _cold_start_lock:
        cold, _cold_start = _cold_start, False
    return cold


def invocation_logging(event: Any, get_response: GetResponse) -> Any:
    """Put the Lambda context of this invocation in force for every log line."""
    context = (
        event.lambda_context if isinstance(event, Request) else getattr(event, "context", None)
    )
    invocation = InvocationScope.from_lambda_context(context, cold_start=_take_cold_start())
    with bind_invocation(invocation):
        try:
            return get_response(event)
        except Exception:
            logger.exception("invocation failed")
            raise


def http_correlation(event: Request | None, get_response: GetResponse) -> Response:
    """Capture, check and bind the request's ids; echo x-correlation-id in the response.

    A request whose call chain is already past the limit is refused with 508 (Loop
    Detected) before any view code runs.
    """
    if event is None:  # Chalice passes None for an event with no resource path
        response: Response = get_response(event)
        return response
    ids = capture(event.headers)
    try:
        check_call_chain(ids)
    except CallChainTooLong as refused:
        return Response(
            body={"error": str(refused)},
            status_code=508,
            headers={"Content-Type": "application/json", CORRELATION_ID: ids[CORRELATION_ID]},
        )
    started = time.perf_counter()
    with bind(ids):
        response = get_response(event)
        logger.info(
            "http request handled",
            http_method=event.method,
            resource_path=event.path,
            status_code=response.status_code,
            duration_ms=round((time.perf_counter() - started) * 1000, 3),
        )
    response.headers[CORRELATION_ID] = ids[CORRELATION_ID]
    return response
