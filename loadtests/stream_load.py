"""The stream load generator: ``yubl-posted`` events straight onto the stream, at a fixed
rate or as fast as it can, with PutRecords (up to 500 a call), optionally in the KPL
aggregated format (``--aggregate``, the ``aws-kinesis-agg`` package: many user records
in one Kinesis record). Reports records/s and PutRecords calls.

``python -m loadtests.stream_load --stream yubl-posted-local --rate 200 --seconds 30``
against the endpoint the standard AWS variables name (``make run`` prints it).
Events are built with the posts API's own domain functions, so the dispatcher accepts
them. The dispatcher does not de-aggregate yet: aggregated records are refused by it
as invalid input (dead-lettered); ``--aggregate`` is for measuring the producer side
and for consumers that de-aggregate.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3

from chalicelib.domain.posts import new_yubl, yubl_posted_event

__all__ = ["main", "records"]

PUT_RECORDS_MAX = 500


def records(authors: int, text: str) -> Iterator[tuple[str, bytes]]:
    """(partition key, data) of yubl-posted events, authors in turn."""
    n = 0
    while True:
        author = f"stream-load-{n % authors}"
        event = yubl_posted_event(new_yubl(author, text, now=datetime.now(UTC)))
        yield author, json.dumps(event, separators=(",", ":")).encode()
        n += 1


def _aggregated(
    source: Iterator[tuple[str, bytes]], per_record: int
) -> Iterator[tuple[str, bytes]]:
    from aws_kinesis_agg.aggregator import RecordAggregator

    aggregator = RecordAggregator()
    while True:
        for _ in range(per_record):
            key, data = next(source)
            full = aggregator.add_user_record(key, data)
            if full is not None:
                pk, _, blob = full.get_contents()
                yield pk, blob
        pk, _, blob = aggregator.clear_and_get().get_contents()
        yield pk, blob


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m loadtests.stream_load", description=__doc__)
    parser.add_argument("--stream", default="yubl-posted-local")
    parser.add_argument(
        "--rate", type=float, default=0, help="Kinesis records/s; 0: as fast as it can"
    )
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--authors", type=int, default=100)
    parser.add_argument("--text-bytes", type=int, default=140)
    parser.add_argument(
        "--batch", type=int, default=100, help=f"records per PutRecords (1-{PUT_RECORDS_MAX})"
    )
    parser.add_argument(
        "--aggregate", type=int, default=0, metavar="N", help="N user records per KPL record"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if not 1 <= args.batch <= PUT_RECORDS_MAX:
        print(f"--batch: {args.batch} is not within 1-{PUT_RECORDS_MAX}", file=sys.stderr)
        return 2
    kinesis: Any = boto3.client("kinesis")
    source = records(args.authors, "x" * args.text_bytes)
    stream = _aggregated(source, args.aggregate) if args.aggregate else source
    calls = sent = failed = 0
    started = time.monotonic()
    while (elapsed := time.monotonic() - started) < args.seconds:
        if args.rate and sent > elapsed * args.rate:
            time.sleep(min(0.05, sent / args.rate - elapsed))
            continue
        batch = [next(stream) for _ in range(args.batch)]
        answer = kinesis.put_records(
            StreamName=args.stream, Records=[{"PartitionKey": k, "Data": d} for k, d in batch]
        )
        calls += 1
        failed += answer.get("FailedRecordCount", 0)
        sent += len(batch) - answer.get("FailedRecordCount", 0)
    seconds = time.monotonic() - started
    user_records = sent * (args.aggregate or 1)
    print(
        json.dumps(
            {
                "kinesis_records": sent,
                "user_records": user_records,
                "failed_records": failed,
                "put_records_calls": calls,
                "seconds": round(seconds, 2),
                "kinesis_records_per_s": round(sent / seconds, 1),
                "user_records_per_s": round(user_records / seconds, 1),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
