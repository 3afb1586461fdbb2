"""``make trace ID=... STAGE=<stage>``: every log line of one correlation id, on AWS.

Runs the stage's saved query ``<app>-<stage>/correlation-id`` (``deploy.log_queries``)
with the id filled in, over the log groups that query names (so a stage deployed by
``make deploy`` and one deployed from ``make package``'s template are read alike):
StartQuery, then GetQueryResults until the query completes. Logs Insights finds the lines
that mention the id; the lines kept are those where an ``x-correlation-*`` field holds it
exactly, sorted and printed as ``make trace`` prints the local stack's (``devstack.trace``).

    python -m ops.trace --stage dev ID [--hours 24] [--json] [--log-group NAME ...]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from deploy.log_queries import correlation_query
from devstack.trace import TraceLine, print_lines, trace

__all__ = ["QueryFailed", "main", "run_query", "saved_log_groups", "trace_on_aws"]

PROJECT_DIR = Path(__file__).resolve().parent.parent
_DONE = "Complete"
_FAILED = ("Failed", "Cancelled", "Timeout", "Unknown")


class QueryFailed(RuntimeError):
    """Logs Insights did not run the query to its end, or the stage has no saved query."""


def saved_log_groups(logs: Any, app: str, stage: str) -> list[str]:
    """The log groups of the stage's saved correlation-id query."""
    name = f"{app}-{stage}/correlation-id"
    found = logs.describe_query_definitions(queryDefinitionNamePrefix=name)["queryDefinitions"]
    for query in found:
        if query["name"] == name and query.get("logGroupNames"):
            return list(query["logGroupNames"])
    raise QueryFailed(
        f"stage {stage} has no saved query {name}: deploy the stage (make deploy STAGE={stage}) "
        "or name the log groups with --log-group"
    )


def run_query(
    logs: Any,
    log_groups: list[str],
    query: str,
    start: datetime,
    end: datetime,
    sleep: Callable[[float], None] = time.sleep,
    timeout: float = 300.0,
    clock: Callable[[], float] = time.monotonic,
) -> list[dict[str, str]]:
    """The query's result rows, each as {field: value}, once Logs Insights completes it."""
    query_id = logs.start_query(
        logGroupNames=log_groups,
        startTime=int(start.timestamp()),
        endTime=int(end.timestamp()),
        queryString=query,
    )["queryId"]
    deadline = clock() + timeout
    while True:
        answer = logs.get_query_results(queryId=query_id)
        status = answer["status"]
        if status == _DONE:
            return [{f["field"]: f["value"] for f in row} for row in answer["results"]]
        if status in _FAILED:
            raise QueryFailed(f"Logs Insights query {query_id} ended {status}")
        if clock() > deadline:
            logs.stop_query(queryId=query_id)
            raise QueryFailed(f"Logs Insights query {query_id} still {status} after {timeout:.0f}s")
        sleep(1.0)


def trace_on_aws(
    logs: Any,
    correlation_id: str,
    log_groups: list[str],
    hours: float,
    now: datetime,
    sleep: Callable[[float], None] = time.sleep,
) -> list[TraceLine]:
    """The lines of ``correlation_id`` in the last ``hours``, oldest first."""
    rows = run_query(
        logs,
        log_groups,
        correlation_query(correlation_id),
        now - timedelta(hours=hours),
        now,
        sleep,
    )
    return trace((row.get("@message", "") for row in rows), correlation_id)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ops.trace",
        description="Print every log line of one correlation id of a stage on AWS, in time order.",
    )
    parser.add_argument("correlation_id", metavar="ID", help="an x-correlation-* value")
    parser.add_argument("--stage", required=True)
    parser.add_argument("--hours", type=float, default=24.0, help="how far back (default 24)")
    parser.add_argument("--json", action="store_true", help="print the raw JSON lines")
    parser.add_argument(
        "--log-group",
        action="append",
        default=[],
        help="a log group to read (repeatable); default: those of the stage's saved query",
    )
    args = parser.parse_args(argv)
    app = json.loads((PROJECT_DIR / ".chalice" / "config.json").read_text())["app_name"]
    try:
        logs = boto3.client("logs")
        groups = args.log_group or saved_log_groups(logs, app, args.stage)
        lines = trace_on_aws(logs, args.correlation_id, groups, args.hours, datetime.now(UTC))
    except (QueryFailed, ClientError, BotoCoreError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if not lines:
        print(
            f"no lines for {args.correlation_id} in the last {args.hours:g} h of "
            f"{len(groups)} log groups of stage {args.stage}",
            file=sys.stderr,
        )
        return 1
    print_lines(lines, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
