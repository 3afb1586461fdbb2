"""Local data that outlives the emulator: a snapshot of the stack's tables and buckets.

moto keeps everything in memory, so each ``make run`` would start empty. On a clean stop
(Ctrl-C, SIGTERM) the stack scans every DynamoDB table and lists every S3 bucket of its
CloudFormation stack (discovered from the stack, never a fixed list) into one file, and
restores them on the next start, before any function runs. Written by hand because
neither boto3 nor moto offers a dump and load of a whole server (moto's own
``/moto-api/`` state is in-process only).

The file is JSON lines: a header (``format``, ``taken_at``, ``stack``), one line per item
(``{"table": <logical id>, "Item": <DynamoDB JSON>}``, the format of DynamoDB's export to
S3, binary values in base64), one line per S3 object, and a trailer with the counts.
Rows are keyed by logical id, so a renamed table still finds its rows. It is written to a
temporary file and moved into place, so a crash while writing keeps the previous one.

``LOCAL_DATA_DIR`` chooses the directory (default: ``data`` in ``LOCAL_LOG_DIR``,
so ``.local/data``); ``python -m devstack.snapshot reset`` (``make reset``) deletes it;
``LOCAL_KEEP_DATA=0`` keeps nothing.
"""

from __future__ import annotations

import base64
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from .flags import flag_on
from .logs import log_dir

__all__ = [
    "FORMAT",
    "SNAPSHOT_FILE",
    "SnapshotError",
    "StackData",
    "data_dir",
    "decode_item",
    "encode_item",
    "keeps_data",
    "read_snapshot",
    "restore",
    "stack_data",
    "take",
    "taken_at",
    "write_snapshot",
]

FORMAT = "yubl-local-snapshot/1"
SNAPSHOT_FILE = "snapshot.jsonl"
_TABLE, _BUCKET = "AWS::DynamoDB::Table", "AWS::S3::Bucket"
_LONG = 5_000  # a table this large gets a progress line: its restore takes seconds
Counts = dict[str, dict[str, int]]  # {"tables": {logical id: rows}, "buckets": {...}}


class SnapshotError(Exception):
    """The snapshot file is not one this code wrote, or it is incomplete."""


def data_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """``LOCAL_DATA_DIR``, else ``data`` inside the log directory (``.local/data``)."""
    given = environ.get("LOCAL_DATA_DIR")
    return Path(given).resolve() if given else log_dir(environ) / "data"


def keeps_data(environ: Mapping[str, str] = os.environ) -> bool:
    """``LOCAL_KEEP_DATA=0`` turns snapshots off: each run starts empty and saves nothing
    (for runs whose data is throwaway and large, such as load tests)."""
    return flag_on(environ.get("LOCAL_KEEP_DATA"))


@dataclass(frozen=True)
class StackData:
    """The resources of a stack that hold user data: logical id -> physical name."""

    tables: dict[str, str] = field(default_factory=dict)
    buckets: dict[str, str] = field(default_factory=dict)


def stack_data(cloudformation: Any, stack_name: str) -> StackData:
    tables: dict[str, str] = {}
    buckets: dict[str, str] = {}
    for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack_name):
        for resource in page["StackResourceSummaries"]:
            kind, logical = resource["ResourceType"], resource["LogicalResourceId"]
            if kind == _TABLE:
                tables[logical] = resource["PhysicalResourceId"]
            elif kind == _BUCKET:
                buckets[logical] = resource["PhysicalResourceId"]
    return StackData(tables, buckets)


# -- the format --------------------------------------------------------------------------


def _with_binary(value: Mapping[str, Any], convert: Callable[[Any], Any]) -> dict[str, Any]:
    """One attribute value with ``convert`` applied to each binary inside it."""
    ((kind, inner),) = value.items()
    if kind == "B":
        return {"B": convert(inner)}
    if kind == "BS":
        return {"BS": [convert(b) for b in inner]}
    if kind == "M":
        return {"M": {name: _with_binary(v, convert) for name, v in inner.items()}}
    if kind == "L":
        return {"L": [_with_binary(v, convert) for v in inner]}
    return {kind: inner}


def _to_text(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def encode_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """A low-level DynamoDB item (as boto3's client returns it) as JSON-safe DynamoDB JSON."""
    return {name: _with_binary(value, _to_text) for name, value in item.items()}


def decode_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """The inverse of ``encode_item``: what boto3's client accepts again."""
    return {name: _with_binary(value, base64.b64decode) for name, value in item.items()}


@dataclass
class Contents:
    """What a snapshot holds, streamed: rows per table and objects per bucket."""

    tables: dict[str, Iterable[dict[str, Any]]] = field(default_factory=dict)
    buckets: dict[str, Iterable[dict[str, Any]]] = field(default_factory=dict)


def _lines(stack: str, contents: Contents, counts: Counts) -> Iterator[dict[str, Any]]:
    yield {"format": FORMAT, "taken_at": datetime.now(UTC).isoformat(), "stack": stack}
    for logical, items in contents.tables.items():
        counts["tables"][logical] = 0
        for item in items:
            yield {"table": logical, "Item": encode_item(item)}
            counts["tables"][logical] += 1
    for logical, objects in contents.buckets.items():
        counts["buckets"][logical] = 0
        for obj in objects:
            body = _to_text(obj["Body"])
            content_type = obj.get("ContentType", "binary/octet-stream")
            yield {"bucket": logical, "Key": obj["Key"], "Body": body, "ContentType": content_type}
            counts["buckets"][logical] += 1
    yield {"end": counts}


def write_snapshot(path: Path, stack: str, contents: Contents) -> Counts:
    """Write ``contents`` to ``path`` atomically; the counts written (also the trailer)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    counts: Counts = {"tables": {}, "buckets": {}}
    try:
        with partial.open("w", encoding="utf-8") as out:
            for line in _lines(stack, contents, counts):
                out.write(json.dumps(line) + "\n")
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        partial.unlink(missing_ok=True)  # the previous snapshot stays as it was
        raise
    partial.replace(path)
    return counts


def _nonzero(counts: Counts) -> Counts:
    return {kind: {name: n for name, n in of.items() if n} for kind, of in counts.items()}


def taken_at(path: Path) -> str | None:
    """When the snapshot at ``path`` was taken (from its header alone), None if there is
    no file; ``SnapshotError`` if the file is not a snapshot."""
    try:
        with path.open(encoding="utf-8") as snapshot:
            first = snapshot.readline()
    except FileNotFoundError:
        return None
    try:
        header = json.loads(first)
    except ValueError:
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise SnapshotError(f"{path}: not a {FORMAT} file")
    return str(header.get("taken_at"))


def read_snapshot(path: Path) -> tuple[dict[str, Any], Contents]:
    """The header and the contents of a snapshot; ``SnapshotError`` if it is not whole."""
    lines = path.read_text(encoding="utf-8").splitlines()
    try:
        header, *rows, trailer = (json.loads(line) for line in lines)
    except ValueError as err:
        raise SnapshotError(f"{path}: not a snapshot ({err})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise SnapshotError(f"{path}: not a {FORMAT} file")
    tables: dict[str, list[dict[str, Any]]] = {}
    buckets: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if "table" in row:
            tables.setdefault(row["table"], []).append(decode_item(row["Item"]))
        else:
            body = base64.b64decode(row["Body"])
            obj = {"Key": row["Key"], "Body": body, "ContentType": row["ContentType"]}
            buckets.setdefault(row["bucket"], []).append(obj)
    found = {
        "tables": {k: len(v) for k, v in tables.items()},
        "buckets": {k: len(v) for k, v in buckets.items()},
    }
    expected = trailer.get("end") if isinstance(trailer, dict) else None
    if (
        expected is None
        or {k: {n: c for n, c in v.items() if c} for k, v in expected.items()} != found
    ):
        raise SnapshotError(f"{path}: incomplete (the trailer does not match its rows)")
    return header, Contents(dict(tables), dict(buckets))


# -- against the emulator ----------------------------------------------------------------


def _scan(dynamodb: Any, table: str) -> Iterator[dict[str, Any]]:
    for page in dynamodb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        yield from page["Items"]


def _objects(s3: Any, bucket: str) -> Iterator[dict[str, Any]]:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for summary in page.get("Contents", []):
            got = s3.get_object(Bucket=bucket, Key=summary["Key"])
            yield {"Key": summary["Key"], "Body": got["Body"].read(), **_type(got)}


def _type(got: Mapping[str, Any]) -> dict[str, str]:
    return {"ContentType": got["ContentType"]} if got.get("ContentType") else {}


def take(clients: Mapping[str, Any], resources: StackData, stack: str, path: Path) -> Counts:
    """Snapshot every table and bucket of ``resources`` to ``path``; the counts."""
    dynamodb, s3 = clients["dynamodb"], clients["s3"]
    contents = Contents(
        {logical: _scan(dynamodb, name) for logical, name in resources.tables.items()},
        {logical: _objects(s3, name) for logical, name in resources.buckets.items()},
    )
    return write_snapshot(path, stack, contents)


def restore(
    clients: Mapping[str, Any],
    resources: StackData,
    path: Path,
    progress: Callable[[str], None] = lambda line: None,
) -> dict[str, Any]:
    """Write a snapshot's rows and objects back (``BatchWriteItem`` through boto3's batch
    writer, which resends unprocessed items); the header, with what was restored and
    what the stack no longer has."""
    header, contents = read_snapshot(path)
    tables, buckets, gone = {}, {}, []
    resource = clients["dynamodb_resource"]
    plain = TypeDeserializer()
    for logical, items in contents.tables.items():
        if logical not in resources.tables:
            gone.append(logical)
            continue
        rows = list(items)
        if len(rows) >= _LONG:
            progress(f"restoring {len(rows)} items of {logical} ({resources.tables[logical]})")
        with resource.Table(resources.tables[logical]).batch_writer() as batch:
            for item in rows:
                batch.put_item(Item={k: plain.deserialize(v) for k, v in item.items()})
        tables[logical] = len(rows)
    for logical, objects in contents.buckets.items():
        if logical not in resources.buckets:
            gone.append(logical)
            continue
        count = 0
        for obj in objects:
            clients["s3"].put_object(Bucket=resources.buckets[logical], **obj)
            count += 1
        buckets[logical] = count
    return {**header, "tables": tables, "buckets": buckets, "gone": gone}


def reset(directory: Path) -> list[Path]:
    """Delete the snapshot files in ``directory``; those it deleted."""
    removed = []
    for name in (SNAPSHOT_FILE, SNAPSHOT_FILE + ".partial"):
        target = directory / name
        if target.exists():
            target.unlink()
            removed.append(target)
    return removed


def main(argv: list[str]) -> int:
    if argv != ["reset"]:
        print("usage: python -m devstack.snapshot reset", file=sys.stderr)
        return 2
    directory = data_dir()
    removed = reset(directory)
    if removed:
        print(f"removed the local data snapshot {removed[0]}: the next make run starts empty")
    else:
        print(f"no local data snapshot in {directory}: the next make run starts empty")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
