"""Every log line of one correlation id, across all functions, in time order.

``python -m devstack.trace ID [--log FILE]`` (``make trace ID=...``).
Reads the one file that every process of the local stack appends JSON lines to
(``LOCAL_LOG_FILE``, by default ``stack.log`` in ``LOCAL_LOG_DIR``, see ``devstack.logs``):
Powertools log lines and EMF metric lines. A line belongs to
the trace when any of its ``x-correlation-*`` values equals ID. Knows nothing of
``chalicelib``: it reads the file format, not the code that writes it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .logs import stack_log

__all__ = ["TraceLine", "main", "parse_timestamp", "print_lines", "render", "trace"]

CORRELATION_PREFIX = "x-correlation-"


@dataclass(frozen=True)
class TraceLine:
    """One JSON line of the log, with the instant it was written (None if unknown)."""

    at: datetime | None
    fields: dict[str, Any]


def parse_timestamp(value: object) -> datetime | None:
    """An ISO-8601 string (Powertools) or epoch milliseconds (EMF), as aware UTC."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 1e11 else value
        return datetime.fromtimestamp(seconds, tz=UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    return None


def _timestamp_of(fields: dict[str, Any]) -> datetime | None:
    if "timestamp" in fields:
        return parse_timestamp(fields["timestamp"])
    emf = fields.get("_aws")
    if isinstance(emf, dict):
        return parse_timestamp(emf.get("Timestamp"))
    return None


def _belongs(fields: dict[str, Any], correlation_id: str) -> bool:
    return any(
        key.startswith(CORRELATION_PREFIX) and value == correlation_id
        for key, value in fields.items()
    )


def trace(lines: Iterable[str], correlation_id: str) -> list[TraceLine]:
    """The lines of ``correlation_id``, oldest first; equal instants keep file order.

    A line without a readable timestamp sorts with the line written before it.
    Lines that are not JSON objects (a stray print) are skipped.
    """
    found: list[tuple[datetime, int, TraceLine]] = []
    last = datetime.min.replace(tzinfo=UTC)
    for position, text in enumerate(lines):
        try:
            fields = json.loads(text)
        except ValueError:
            continue
        if not isinstance(fields, dict):
            continue
        at = _timestamp_of(fields)
        last = at or last
        if _belongs(fields, correlation_id):
            found.append((last, position, TraceLine(at=at, fields=fields)))
    found.sort(key=lambda item: (item[0], item[1]))
    return [line for _, _, line in found]


def _metric_summary(fields: dict[str, Any], emf: dict[str, Any]) -> str:
    parts: list[str] = []
    for directive in emf.get("CloudWatchMetrics", []):
        dimensions = sorted(
            {name for group in directive.get("Dimensions", []) for name in group} - {"service"}
        )
        labels = "".join(f" {name}={fields.get(name)}" for name in dimensions)
        for metric in directive.get("Metrics", []):
            name = metric.get("Name")
            value = fields.get(name)
            if isinstance(value, list) and len(value) == 1:
                value = value[0]
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            parts.append(f"metric {name}={value} {metric.get('Unit', '')}{labels}".rstrip())
    return "; ".join(parts)


def render(line: TraceLine) -> str:
    """One readable line: time, function, level, message, hop count."""
    fields = line.fields
    when = line.at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z" if line.at else "-" * 24
    function = str(fields.get("function_name", "?"))
    emf = fields.get("_aws")
    if isinstance(emf, dict):
        level, message = "METRIC", _metric_summary(fields, emf)
    else:
        level = str(fields.get("level", "?"))
        raw = fields.get("message", "")
        message = raw if isinstance(raw, str) else json.dumps(raw, separators=(",", ":"))
        if fields.get("exception_name"):
            message += f" [{fields['exception_name']}]"
    chain = fields.get("call-chain-length")
    hop = f"  (hop {chain})" if chain is not None else ""
    return f"{when}  {function:<20} {level:<8} {message}{hop}"


def print_lines(lines: Iterable[TraceLine], as_json: bool) -> None:
    """Each line rendered, or as its raw JSON (``--json``)."""
    for line in lines:
        if as_json:
            print(json.dumps(line.fields, separators=(",", ":"), ensure_ascii=False))
        else:
            print(render(line))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devstack.trace",
        description="Print every log line of one correlation id, in time order.",
    )
    parser.add_argument("correlation_id", metavar="ID", help="an x-correlation-* value")
    parser.add_argument(
        "--log",
        default=str(stack_log()),
        help="the stack's JSON log file (default: $LOCAL_LOG_FILE, else stack.log in "
        "$LOCAL_LOG_DIR, else .local/: %(default)s)",
    )
    parser.add_argument("--json", action="store_true", help="print the raw JSON lines")
    args = parser.parse_args(argv)
    try:
        with open(args.log, encoding="utf-8") as log:
            lines = trace(log, args.correlation_id)
    except FileNotFoundError:
        print(f"no log file at {args.log}", file=sys.stderr)
        return 2
    if not lines:
        print(f"no lines for {args.correlation_id} in {args.log}", file=sys.stderr)
        return 1
    print_lines(lines, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
