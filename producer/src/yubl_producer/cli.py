"""``python -m yubl_producer publish --stream NAME FILE.jsonl``: one event a line.

Every line is checked against the contract before anything is sent: one bad line stops
the run (exit 2) naming its line and field, and nothing is put. Then the events go out
in PutRecords calls (``Publisher``) with a progress line on stderr, and a summary at
the end: sent, retried, and failed with their reasons (exit 1 if any failed).

Endpoint, region and credentials come from the standard AWS variables and files
(``AWS_ENDPOINT_URL``, ``AWS_DEFAULT_REGION``, ``AWS_ACCESS_KEY_ID``, a profile) or
from ``--endpoint-url``, ``--region`` and ``--profile``; a missing one is named before
any call is made.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Sequence
from typing import IO, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ProfileNotFound

from .events import Event, EventInvalid, event_from_record
from .publisher import Progress, Publisher, Result

__all__ = ["main", "read_events"]


class UsageError(Exception):
    """Something the user must fix before anything is sent; the message says what."""


def read_events(lines: IO[str]) -> list[Event]:
    """The events of a JSONL stream, every line checked; ``UsageError`` naming each
    bad line (at most 20), so one run shows what to fix."""
    events: list[Event] = []
    problems: list[str] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            events.append(event_from_record(json.loads(line)))
        except ValueError as err:  # EventInvalid, JSONDecodeError
            reason = err if isinstance(err, EventInvalid) else f"not JSON ({err})"
            problems.append(f"line {number}: {reason}")
    if problems:
        shown = problems[:20] + ([f"... and {len(problems) - 20} more"] if problems[20:] else [])
        raise UsageError("nothing was sent; fix these lines:\n  " + "\n  ".join(shown))
    return events


def _client(args: argparse.Namespace) -> Any:
    try:
        session = boto3.Session(profile_name=args.profile, region_name=args.region)
    except ProfileNotFound as err:
        raise UsageError(str(err)) from None
    if session.region_name is None:
        raise UsageError("no AWS region: set AWS_DEFAULT_REGION (or AWS_REGION) or pass --region")
    if session.get_credentials() is None:
        raise UsageError(
            "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a "
            "profile (AWS_PROFILE or --profile)"
        )
    config = Config(retries={"mode": "standard", "max_attempts": 5})
    return session.client("kinesis", endpoint_url=args.endpoint_url, config=config)


class _ProgressLine:
    """One line on stderr, rewritten in place on a terminal; elsewhere a line at most
    every ``every`` seconds, so a log stays short."""

    def __init__(self, out: IO[str], every: float = 2.0) -> None:
        self._out, self._every, self._last = out, every, 0.0
        self._tty = out.isatty()

    def __call__(self, progress: Progress) -> None:
        now = time.monotonic()
        done = progress.sent + progress.failed
        final = done == progress.total
        if not self._tty and not final and now - self._last < self._every:
            return
        self._last = now
        line = (
            f"{done}/{progress.total} events: sent {progress.sent}, failed {progress.failed}, "
            f"retried {progress.retried} ({progress.calls} PutRecords "
            f"call{'' if progress.calls == 1 else 's'})"
        )
        end = "\n" if final or not self._tty else ""
        print(f"\r{line}" if self._tty else line, end=end, file=self._out, flush=True)


def summary(results: Sequence[Result]) -> list[str]:
    """The summary lines: counts, then each failure reason with how many it hit."""
    sent = sum(r.ok for r in results)
    failed = [r for r in results if not r.ok]
    retried = sum(r.attempts > 1 for r in results)
    lines = [f"sent {sent}, retried {retried}, failed {len(failed)}"]
    reasons = Counter(f"{r.error_code}: {r.error_message}" for r in failed)
    lines += [f"  failed {count}: {reason}" for reason, count in reasons.most_common()]
    lines += [f"  not sent: {r.event.identity}" for r in failed[:20]]
    return lines


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m yubl_producer", description="Publish events to the Yubl stream."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    publish = commands.add_parser("publish", help="put the events of a JSONL file on a stream")
    publish.add_argument("file", help="one event (a JSON object) a line; - for stdin")
    publish.add_argument("--stream", required=True, help="the stream's name, e.g. yubl-posted-dev")
    publish.add_argument("--endpoint-url", help="default: AWS_ENDPOINT_URL, else AWS's")
    publish.add_argument("--region", help="default: AWS_DEFAULT_REGION / AWS_REGION")
    publish.add_argument("--profile", help="a profile of ~/.aws (default: AWS_PROFILE)")
    publish.add_argument(
        "--aggregate",
        choices=("shard", "key"),
        help="KPL-aggregate the events: per shard (from ListShards) or per partition key",
    )
    publish.add_argument("--max-attempts", type=int, default=8, help="per record (default 8)")
    return parser


def _check_stream(client: Any, stream: str) -> None:
    """One call before the work: the endpoint answers and the stream exists."""
    where = client.meta.endpoint_url
    try:
        client.describe_stream_summary(StreamName=stream)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code")
        if code == "ResourceNotFoundException":
            raise UsageError(f"stream {stream} not found at {where}") from None
        raise UsageError(f"{code} from {where}: {error}") from None
    except BotoCoreError as error:
        raise UsageError(f"cannot reach {where}: {error}") from None


def _publish(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    if args.max_attempts < 1:
        raise UsageError("--max-attempts must be at least 1")
    if args.file == "-":
        events = read_events(sys.stdin)
    else:
        try:
            with open(args.file, encoding="utf-8") as lines:
                events = read_events(lines)
        except OSError as error:
            raise UsageError(f"cannot read {args.file}: {error.strerror}") from None
    client = _client(args)
    _check_stream(client, args.stream)
    publisher = Publisher(
        client,
        args.stream,
        aggregate=args.aggregate,
        max_attempts=args.max_attempts,
        on_progress=_ProgressLine(err),
    )
    try:
        results = publisher.publish(events)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code")
        if code == "ResourceNotFoundException":
            where = client.meta.endpoint_url
            raise UsageError(f"stream {args.stream} not found at {where}") from None
        raise UsageError(f"{code}: {error}") from None
    except BotoCoreError as error:
        raise UsageError(f"{error} (is the endpoint {client.meta.endpoint_url} up?)") from None
    for line in summary(results):
        print(line, file=out)
    return 0 if all(r.ok for r in results) else 1


def main(
    argv: Sequence[str] | None = None, out: IO[str] = sys.stdout, err: IO[str] = sys.stderr
) -> int:
    args = _parser().parse_args(argv)
    try:
        return _publish(args, out, err)
    except UsageError as error:
        print(f"error: {error}", file=err)
        return 2
