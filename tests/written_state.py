"""Everything a request or an event could have written, taken whole: the check behind
every "writes nothing" test.

The resources come from ``infra/resources.yaml`` itself (its tables, queues, streams and
buckets, named for the stage), so a table added to the template is looked at by every
such test without editing one. A snapshot holds, per resource, a digest of its whole
content (every item of a table, every object of a bucket with its ETag, the number of
records in a stream, the messages of a queue); two snapshots differ exactly where
something was written, changed or removed in between.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError
from cfnlint.decode import cfn_yaml

from devstack.infra import TEMPLATE_PATH

__all__ = ["StageResources", "WrittenState", "stage_resources"]

_NAME_PROPERTY = {
    "AWS::DynamoDB::Table": "TableName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::Kinesis::Stream": "Name",
    "AWS::S3::Bucket": "BucketName",
}


@dataclass(frozen=True)
class StageResources:
    tables: tuple[str, ...]
    queues: tuple[str, ...]
    streams: tuple[str, ...]
    buckets: tuple[str, ...]

    def without(self, *names: str) -> StageResources:
        """These left out, named as a snapshot names them (``table:feeds-local``)."""
        kinds = {"table": self.tables, "queue": self.queues, "stream": self.streams}
        kinds["bucket"] = self.buckets
        unknown = [
            n for n in names if n.partition(":")[2] not in kinds.get(n.partition(":")[0], ())
        ]
        assert not unknown, f"not resources of the template: {unknown}"
        kept = {
            kind: tuple(name for name in names_held if f"{kind}:{name}" not in names)
            for kind, names_held in kinds.items()
        }
        return StageResources(kept["table"], kept["queue"], kept["stream"], kept["bucket"])


def _resolve(name: Any, stage: str) -> str:
    """A name as the template writes it: a plain string or ``!Sub "x-${Stage}"``."""
    if isinstance(name, dict) and set(name) == {"Fn::Sub"} and isinstance(name["Fn::Sub"], str):
        return str(name["Fn::Sub"]).replace("${Stage}", stage)
    if isinstance(name, str):
        return name
    raise ValueError(f"a resource name this check cannot resolve: {name!r}")


def stage_resources(stage: str, template: Path = TEMPLATE_PATH) -> StageResources:
    """The template's tables, queues, streams and buckets, named for ``stage``."""
    found: dict[str, list[str]] = {kind: [] for kind in _NAME_PROPERTY}
    for resource in cfn_yaml.load(str(template))["Resources"].values():
        kind = resource.get("Type")
        if kind in _NAME_PROPERTY:
            name = resource.get("Properties", {}).get(_NAME_PROPERTY[kind])
            assert name is not None, f"a {kind} without {_NAME_PROPERTY[kind]} in the template"
            found[kind].append(_resolve(name, stage))
    return StageResources(
        tables=tuple(sorted(found["AWS::DynamoDB::Table"])),
        queues=tuple(sorted(found["AWS::SQS::Queue"])),
        streams=tuple(sorted(found["AWS::Kinesis::Stream"])),
        buckets=tuple(sorted(found["AWS::S3::Bucket"])),
    )


def _digest(parts: Iterable[str]) -> str:
    hashed = hashlib.sha256()
    for part in sorted(parts):
        hashed.update(part.encode())
        hashed.update(b"\n")
    return hashed.hexdigest()


class WrittenState:
    """``before = state.snapshot()``, act, then ``assert state.changed(before) == []``.

    ``queues=False`` leaves the queues out, for a stack whose event runtime keeps
    moving messages of earlier work (the stream, which every event starts from, is
    still read).
    """

    def __init__(
        self,
        resources: StageResources,
        session: boto3.Session | None = None,
        endpoint_url: str | None = None,
        queues: bool = True,
    ) -> None:
        session = session or boto3.Session()
        self.resources = resources
        self._queues = queues
        self._dynamodb = session.client("dynamodb", endpoint_url=endpoint_url)
        self._kinesis = session.client("kinesis", endpoint_url=endpoint_url)
        self._sqs = session.client("sqs", endpoint_url=endpoint_url)
        self._s3 = session.client("s3", endpoint_url=endpoint_url)

    def snapshot(self) -> dict[str, str]:
        """A digest per resource (``table:<name>``, ``stream:<name>``, ...)."""
        taken = {f"table:{t}": self._table(t) for t in self.resources.tables}
        taken |= {f"stream:{s}": self._stream(s) for s in self.resources.streams}
        taken |= {f"bucket:{b}": self._bucket(b) for b in self.resources.buckets}
        if self._queues:
            taken |= {f"queue:{q}": self._queue(q) for q in self.resources.queues}
        return taken

    def changed(self, before: dict[str, str]) -> list[str]:
        """The resources whose content differs from ``before``, by name."""
        after = self.snapshot()
        return sorted(
            name for name in before.keys() | after.keys() if before.get(name) != after.get(name)
        )

    def _table(self, table: str) -> str:
        items = (
            json.dumps(item, sort_keys=True)
            for page in self._dynamodb.get_paginator("scan").paginate(TableName=table)
            for item in page["Items"]
        )
        return _digest(items)

    def _stream(self, stream: str) -> str:
        records = 0
        for shard in self._kinesis.list_shards(StreamName=stream)["Shards"]:
            iterator = self._kinesis.get_shard_iterator(
                StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            while iterator:
                page = self._kinesis.get_records(ShardIterator=iterator, Limit=10_000)
                records += len(page["Records"])
                iterator = page.get("NextShardIterator") if page["Records"] else None
        return str(records)

    def _bucket(self, bucket: str) -> str:
        if not self._bucket_exists(bucket):
            return "absent"
        objects = (
            f"{item['Key']} {item['ETag']}"
            for page in self._s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
            for item in page.get("Contents", [])
        )
        return _digest(objects)

    def _queue(self, queue: str) -> str:
        url = self._sqs.get_queue_url(QueueName=queue)["QueueUrl"]
        attributes = self._sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=[
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible",
                "ApproximateNumberOfMessagesDelayed",
            ],
        )["Attributes"]
        return json.dumps(attributes, sort_keys=True)

    def _bucket_exists(self, bucket: str) -> bool:
        try:
            self._s3.head_bucket(Bucket=bucket)
        except ClientError:
            return False
        return True
