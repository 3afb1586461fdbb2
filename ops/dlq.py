"""``python -m ops.dlq``: list parked and dead records, and re-drive dead ones.

    python -m ops.dlq list [--stage local] [--queue dead|retry|both] [--json]
    python -m ops.dlq redrive --all | MESSAGE_ID ... [--stage local]

Queue names come from the stage in ``.chalice/config.json``; the endpoint from the
standard SDK variables (``make dlq`` points them at the local emulator).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import boto3

from .queues import ParkedMessage, QueueInspector

PROJECT_DIR = Path(__file__).resolve().parent.parent


def _inspector(stage: str) -> QueueInspector:
    config = json.loads((PROJECT_DIR / ".chalice" / "config.json").read_text())
    try:
        env = config["stages"][stage]["environment_variables"]
    except KeyError:
        raise SystemExit(f"no stage {stage!r} in .chalice/config.json") from None
    return QueueInspector(boto3.client("sqs"), env["RETRY_QUEUE"], env["DEAD_LETTER_QUEUE"])


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
    print(f"      record: {json.dumps(s['record'], ensure_ascii=False)[:300]}")


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

    inspector = _inspector(args.stage)
    if args.command == "list":
        queues = ["retry", "dead"] if args.queue == "both" else [args.queue]
        messages = [m for q in queues for m in inspector.peek(q)]
        for message in messages:
            if args.json:
                print(json.dumps(message.summary(), ensure_ascii=False))
            else:
                _print(message)
        if not args.json:
            print(f"{len(messages)} message(s)")
        return 0
    if not args.all and not args.message_ids:
        parser.error("redrive needs --all or at least one MESSAGE_ID")
    wanted = None if args.all else set(args.message_ids)
    moved = inspector.redrive(wanted)
    for message_id in moved:
        print(f"re-driven {message_id}")
    missing = sorted((wanted or set()) - set(moved))
    for message_id in missing:
        print(f"not in the dead-letter queue: {message_id}", file=sys.stderr)
    print(f"{len(moved)} message(s) re-driven to the retry queue")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
