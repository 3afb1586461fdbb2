"""Reading a whole stream back, as a consumer would, to check what was published."""

from __future__ import annotations

from typing import Any

import boto3

__all__ = ["stream_records"]


def stream_records(stream: str) -> list[dict[str, Any]]:
    """Every record of every shard of ``stream``, from the trim horizon, in shard order."""
    kinesis = boto3.client("kinesis")
    records: list[dict[str, Any]] = []
    for shard in kinesis.list_shards(StreamName=stream)["Shards"]:
        iterator = kinesis.get_shard_iterator(
            StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            response = kinesis.get_records(ShardIterator=iterator, Limit=1000)
            records += response["Records"]
            if not response["Records"]:
                break
            iterator = response.get("NextShardIterator")
    return records
