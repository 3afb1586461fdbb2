"""The stream load generator: ``yubl-posted`` events straight onto the stream, at a fixed
rate or as fast as it can, with PutRecords (up to 500 a call), optionally in the KPL
aggregated format (``--aggregate N``: N user records in one Kinesis record, grouped by
shard with the producer package's ``yubl_producer.aggregation``, so every user record
lands on its key's shard; the dispatcher de-aggregates them). Reports records/s and
PutRecords calls. ``--rate R --seconds S`` sends R * S Kinesis records, spread evenly.

``python -m loadtests.stream_load --stream yubl-posted-local --rate 200 --seconds 30``
against the endpoint, region and credentials the standard AWS variables name (``make
run`` prints them), or ``--endpoint-url`` and ``--region``. Events are built with the
posts API's own domain functions, so the dispatcher accepts them.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
from yubl_producer.aggregation import Aggregate, ShardMap

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
    source: Iterator[tuple[str, bytes]], per_record: int, shards: ShardMap
) -> Iterator[tuple[str, bytes]]:
    """Aggregates of ``per_record`` user records of one shard each (KPL format)."""
    waiting: dict[str, Aggregate] = {}
    position = 0
    while True:
        key, data = next(source)
        shard = shards.shard_for(key)
        current = waiting.setdefault(shard, Aggregate())
        if not current.add(position, key, data):
            raise ValueError("a stream-load record does not fit an aggregate")
        position += 1
        if len(current.members) == per_record:
            del waiting[shard]
            yield current.first_key, current.data()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m loadtests.stream_load", description=__doc__)
    parser.add_argument("--stream", default="yubl-posted-local")
    parser.add_argument("--endpoint-url", help="default: AWS_ENDPOINT_URL, else AWS's")
    parser.add_argument("--region", help="default: AWS_DEFAULT_REGION / AWS_REGION")
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
    session = boto3.Session(region_name=args.region)
    if session.region_name is None:
        print(
            "no AWS region: set AWS_DEFAULT_REGION or pass --region (make run prints the "
            "local stack's endpoint, region and credentials)",
            file=sys.stderr,
        )
        return 2
    kinesis: Any = session.client("kinesis", endpoint_url=args.endpoint_url)
    source = records(args.authors, "x" * args.text_bytes)
    if args.aggregate:
        stream = _aggregated(source, args.aggregate, ShardMap.of_stream(kinesis, args.stream))
    else:
        stream = source
    budget = int(args.rate * args.seconds) if args.rate else None
    calls = sent = failed = 0
    started = time.monotonic()
    while (elapsed := time.monotonic() - started) < args.seconds:
        put = sent + failed
        if budget is not None and put >= budget:
            break
        due = math.ceil(args.rate * elapsed) if args.rate else put + args.batch
        if put >= due:
            time.sleep(min(0.05, (put + 1) / args.rate - elapsed))
            continue
        size = min(args.batch, due - put, budget - put if budget is not None else args.batch)
        batch = [next(stream) for _ in range(size)]
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
