"""``python -m ops.dlq``: list parked and dead records, and re-drive dead ones.

    python -m ops.dlq list [--stage local] [--queue dead|retry|both] [--json]
    python -m ops.dlq redrive --all | MESSAGE_ID ... [--stage local]

Queue names come from the stage in ``.chalice/config.json``; the endpoint from the
standard SDK variables (``make dlq`` points them at the local emulator). Lambda's own
on-failure records of Kinesis batches are re-driven by re-reading their records from
the stream (``ops.kinesis_batches``); what cannot be re-driven stays, with the reason.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

from chalicelib.streams.parking import queue_json

from .kinesis_batches import KinesisBatchReader
from .queues import ParkedMessage, QueueInspector
from .redrive import DeadLetterPlan

PROJECT_DIR = Path(__file__).resolve().parent.parent


def _stage(stage: str) -> dict[str, Any]:
    config = json.loads((PROJECT_DIR / ".chalice" / "config.json").read_text())
    try:
        settings: dict[str, Any] = config["stages"][stage]
    except KeyError:
        raise SystemExit(f"no stage {stage!r} in .chalice/config.json") from None
    settings["handlers"] = set(config.get("lambda_functions", {}))
    return settings


def _plan(stage: dict[str, Any]) -> DeadLetterPlan:
    functions = stage.get("lambda_functions", {})

    def max_record_age(handler: str) -> int | None:
        age = functions.get(handler, {}).get("event_source", {}).get("MaximumRecordAgeInSeconds")
        return int(age) if age is not None else None

    env = stage["environment_variables"]
    reader = KinesisBatchReader(boto3.client("kinesis"), max_record_age)
    return DeadLetterPlan(reader, env.get("CHALICE_FUNCTION_PREFIX", ""), stage["handlers"])


def _print(message: ParkedMessage) -> None:
    s = message.summary()
    error = s["error"] or {}
    print(f"{s['queue']:5} {s['message_id']}  handler={s['handler']}")
    print(f"      correlation_id={s['correlation_id']}")
    print(
        f"      first failure {s['first_failure_at']}, {s['attempts']} attempts in process, "
        f"received {s['receive_count']} times"
    )
    print(f"      error: {error.get('type')}: {error.get('message')}")
    where = _where(s["origin"])
    if where:
        print(f"      from: {where}")
    print(f"      record: {queue_json(s['record'])[:300]}")


def _where(origin: Any) -> str | None:
    """Where a parked record came from, in a few words: its Kinesis sequence number (and
    sub-sequence number, for a user record of a KPL aggregate), or its message id."""
    if not isinstance(origin, dict):
        return None
    if origin.get("sequenceNumber"):
        where = f"Kinesis record {origin['sequenceNumber']}"
        if origin.get("subSequenceNumber") is not None:
            where += f", user record {origin['subSequenceNumber']}"
        return f"{where} (partition key {origin.get('partitionKey')})"
    message_id = origin.get("MessageId") or origin.get("messageId")
    return f"message {message_id}" if message_id else None


def _unreachable(endpoint: str) -> str:
    if os.environ.get("AWS_ENDPOINT_URL"):
        return (
            f"ops.dlq: nothing answers at {endpoint}: is the local stack running? "
            "Start it with `make run` (and give make dlq the same LOCAL_AWS_PORT)"
        )
    return f"ops.dlq: cannot reach {endpoint}: check the network and AWS_DEFAULT_REGION"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.dlq", description=__doc__.splitlines()[0])
    parser.add_argument("--stage", default="local")
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser(
        "list", help="show what waits in the retry and dead-letter queues"
    )
    listing.add_argument("--queue", choices=["dead", "retry", "both"], default="both")
    listing.add_argument("--json", action="store_true", help="one JSON object a line")
    redrive = commands.add_parser("redrive", help="move dead letters back to the retry queue")
    redrive.add_argument("message_ids", nargs="*")
    redrive.add_argument("--all", action="store_true")
    args = parser.parse_args(argv)
    if args.command == "redrive" and not args.all and not args.message_ids:
        parser.error("redrive needs --all or at least one MESSAGE_ID")
    stage = _stage(args.stage)
    try:
        return _run(args, stage)
    except EndpointConnectionError as err:
        print(_unreachable(str(err.kwargs.get("endpoint_url"))), file=sys.stderr)
    except NoCredentialsError:
        print("ops.dlq: no AWS credentials (set AWS_PROFILE or AWS_*)", file=sys.stderr)
    except ClientError as err:
        error = err.response.get("Error", {})
        print(f"ops.dlq: {error.get('Code')}: {error.get('Message')}", file=sys.stderr)
    return 2


def _run(args: argparse.Namespace, stage: dict[str, Any]) -> int:
    env = stage["environment_variables"]
    inspector = QueueInspector(boto3.client("sqs"), env["RETRY_QUEUE"], env["DEAD_LETTER_QUEUE"])
    if args.command == "list":
        queues = ["retry", "dead"] if args.queue == "both" else [args.queue]
        messages = [m for q in queues for m in inspector.peek(q)]
        for message in messages:
            if args.json:
                print(queue_json(message.summary()))
            else:
                _print(message)
        if not args.json:
            print(f"{len(messages)} message(s)")
        return 0
    wanted = None if args.all else set(args.message_ids)
    result = inspector.redrive(wanted, _plan(stage))
    for message_id in result.moved:
        print(f"re-driven {message_id}")
    for message_id, reason in result.refused.items():
        print(f"refused {message_id} (left in the dead-letter queue): {reason}", file=sys.stderr)
    missing = sorted((wanted or set()) - set(result.moved) - set(result.refused))
    for message_id in missing:
        print(f"not in the dead-letter queue: {message_id}", file=sys.stderr)
    print(
        f"{len(result.moved)} message(s) re-driven to the retry queue as {result.sent} "
        f"parked record(s); {len(result.refused)} refused"
    )
    return 1 if missing or result.refused else 0


if __name__ == "__main__":
    sys.exit(main())
