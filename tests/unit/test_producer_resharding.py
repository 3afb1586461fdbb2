"""The producer's per-shard aggregation across a reshard, on an in-memory Kinesis.

moto's server keeps routing a split shard's keys to the closed parent (seen with
SplitShard: a put after it lands on the parent), so a reshard in the middle of a publish
cannot be shown on the emulator; this twin routes by the open shards' hash-key ranges,
as Kinesis does, and splits a shard when the first PutRecords call arrives.
"""

from __future__ import annotations

import json
from typing import Any

from yubl_producer import Publisher, yubl_posted
from yubl_producer import publisher as publishing
from yubl_producer.aggregation import ShardMap, hash_key
from yubl_producer.events import Event

from chalicelib.streams.kpl import user_records

TOP = 2**128 - 1


class ReshardingKinesis:
    """ListShards and PutRecords over shards (id, first hash key, last, open); the first
    PutRecords call splits the shard of its first record in two before storing anything."""

    def __init__(self) -> None:
        half = TOP // 2
        self.shards = [["shard-0", 0, half, True], ["shard-1", half + 1, TOP, True]]
        self.stored: list[tuple[str, str, bytes]] = []  # (shard, partition key, data)
        self.calls = 0

    def list_shards(self, **_: Any) -> dict[str, Any]:
        return {
            "Shards": [
                {
                    "ShardId": shard_id,
                    "HashKeyRange": {"StartingHashKey": str(lo), "EndingHashKey": str(hi)},
                    "SequenceNumberRange": {} if is_open else {"EndingSequenceNumber": "9"},
                }
                for shard_id, lo, hi, is_open in self.shards
            ]
        }

    def put_records(self, StreamName: str, Records: list[dict[str, Any]]) -> dict[str, Any]:
        self.calls += 1
        if self.calls == 1:
            [parent] = [
                s for s in self.shards if s[0] == self._shard_of(Records[0]["PartitionKey"])
            ]
            _, lo, hi, _ = parent
            parent[3] = False
            middle = (lo + hi) // 2
            self.shards += [["shard-2", lo, middle, True], ["shard-3", middle + 1, hi, True]]
        answers = []
        for record in Records:
            shard = self._shard_of(record["PartitionKey"])
            self.stored.append((shard, record["PartitionKey"], record["Data"]))
            answers.append({"ShardId": shard, "SequenceNumber": str(len(self.stored))})
        return {"FailedRecordCount": 0, "Records": answers}

    def _shard_of(self, key: str) -> str:
        value = hash_key(key)
        [shard_id] = [s for s, lo, hi, is_open in self.shards if is_open and lo <= value <= hi]
        return shard_id


def _events() -> list[Event]:
    """About 2.2 MB of posts by 40 authors: more than one aggregate (1 MiB) per shard."""
    return [yubl_posted(f"author-{n % 40}", "x" * 1990 + f" {n}") for n in range(1000)]


def test_a_reshard_seen_on_a_put_regroups_the_rest_on_the_new_shards(monkeypatch):
    # GIVEN one aggregate a call, and a stream whose shard splits as the first call arrives
    monkeypatch.setattr(publishing, "MAX_CALL_RECORDS", 1)
    kinesis = ReshardingKinesis()
    publisher = Publisher(kinesis, "stream", aggregate="shard")
    # WHEN a publish whose first aggregate was grouped on the map from before the split
    results = publisher.publish(_events())
    # THEN every event is stored once, and the reshard was seen once
    assert all(r.ok for r in results)
    assert publisher.reshards_seen == 1
    stored = [(shard, part) for shard, _, data in kinesis.stored for part in user_records(data)]
    numbers = [json.loads(p.data)["yubl"]["text"].rsplit(" ", 1)[-1] for _, p in stored]
    assert sorted(map(int, numbers)) == list(range(1000))
    # AND after the put that saw it, every user record lands on its own key's shard
    after_split = ShardMap.of_stream(kinesis, "stream")
    first_call = len(user_records(kinesis.stored[0][2]))
    assert kinesis.stored[0][0] in ("shard-2", "shard-3")  # the first aggregate: a child
    misplaced = [
        p.partition_key
        for shard, p in stored[first_call:]
        if after_split.shard_for(str(p.partition_key)) != shard
    ]
    assert misplaced == []
