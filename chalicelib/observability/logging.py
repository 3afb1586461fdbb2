"""The one JSON logger of the app, with the correlation ids of the work in hand.

Built on the Powertools ``Logger``. Two things are added per line rather than held
in logger state, because logger state is shared by every record and every thread
of a process: the ids in force (``context.current_ids()``) and the function's name
(``context.function_name()``). Debug sampling works the same way: the logger's own
level stays at DEBUG, and a gate on the handler lets a debug line through only when
the configured level allows it or the ids in force say ``debug-log-enabled: true``.

Use this ``logger``; do not build another Powertools ``Logger`` for the same
service name, because Powertools would hand back this one's handler unformatted.
"""

from __future__ import annotations

import json
import logging
from functools import partial
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

from chalicelib.observability.context import (
    current_ids,
    current_invocation,
    debug_enabled,
    function_name,
)
from chalicelib.observability.settings import ObservabilitySettings
from chalicelib.observability.sink import write_line

if TYPE_CHECKING:
    from aws_lambda_powertools.logging.types import LogRecord

__all__ = ["CorrelatedFormatter", "line_context", "logger"]

_HEAD = ("level", "message", "timestamp", "service")


def line_context() -> dict[str, Any]:
    """The keys that every line (log or metric) carries for the work in hand."""
    keys: dict[str, Any] = {"function_name": function_name()}
    invocation = current_invocation()
    if invocation is not None:
        if invocation.function_request_id:
            keys["function_request_id"] = invocation.function_request_id
        keys["cold_start"] = invocation.cold_start
    keys.update(current_ids())
    return keys


class CorrelatedFormatter(LambdaPowertoolsFormatter):
    """Powertools' JSON formatter, plus the function name and the ids in force."""

    def serialize(self, log: LogRecord) -> str:
        fields: dict[str, Any] = dict(log)
        merged = {key: fields[key] for key in _HEAD if key in fields}
        merged.update(line_context())
        for key, value in fields.items():
            merged.setdefault(key, value)
        return super().serialize(merged)


class _JsonLineHandler(logging.Handler):
    """Sends each formatted line to ``sink.write_line`` (stdout, local file)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            write_line(self.format(record))
        except Exception:
            self.handleError(record)


class _LevelGate(logging.Filter):
    """The configured level, lowered to DEBUG while sampled ids are in force."""

    def __init__(self, threshold: int) -> None:
        super().__init__()
        self.threshold = threshold

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= self.threshold or debug_enabled()


def _build() -> Logger:
    handler = _JsonLineHandler()
    formatter = CorrelatedFormatter(
        # One object per line even under POWERTOOLS_DEV, which would indent it.
        json_serializer=partial(json.dumps, default=str, separators=(",", ":"), ensure_ascii=False),
        utc=True,
        use_rfc3339=True,
        log_record_order=["level", "message", "timestamp"],
    )
    built = Logger(
        service=ObservabilitySettings.from_environ().service,
        logger_handler=handler,
        logger_formatter=formatter,
    )
    handler.addFilter(_LevelGate(built.log_level or logging.INFO))
    stdlib_logger = logging.getLogger(built.name)
    stdlib_logger.setLevel(logging.DEBUG)
    # Lambda's runtime puts a handler on the root logger: propagating would print twice.
    stdlib_logger.propagate = False
    return built


logger = _build()
