"""Reading a shard: an empty page is never its end; a null NextShardIterator is.

Runs ShardReader against an in-memory twin of the two Kinesis calls it makes, so the
pages can be exactly what real Kinesis may answer (moto never ends a shard).
"""

from __future__ import annotations

import threading
from typing import Any

from local_runtime.shard_context import ShardContext
from local_runtime.shard_reader import ShardReader
from local_runtime.target import Liveness
from tests.unit.local_runtime.functions import consume_target, trim_horizon_settings


def record(seq: int) -> dict[str, Any]:
    return {"SequenceNumber": str(seq), "PartitionKey": "pk", "Data": b"x"}


class ScriptedShard:
    """Answers GetRecords with the given pages, in order; then stops the runtime."""

    def __init__(self, pages: list[dict[str, Any]], stopping: threading.Event) -> None:
        self.pages = list(pages)
        self.calls: list[str | None] = []
        self.stopping = stopping

    def get_shard_iterator(self, **kwargs: Any) -> dict[str, str]:
        return {"ShardIterator": "it-0"}

    def get_records(self, ShardIterator: str, Limit: int) -> dict[str, Any]:
        self.calls.append(ShardIterator)
        if not self.pages:  # the script is over: a reader still asking has looped
            self.stopping.set()
            return {"Records": [], "NextShardIterator": ShardIterator}
        return self.pages.pop(0)


class NoStore:
    def save(self, *args: Any) -> bool:
        return True


def reader_for(kinesis: ScriptedShard, ending: str | None = None) -> ShardReader:
    context = ShardContext(
        target=consume_target(),
        settings=trim_horizon_settings(),
        kinesis=kinesis,
        stream_name="s",
        stream_arn="arn:aws:kinesis:us-east-1:123456789012:stream/s",
        region="us-east-1",
        store=NoStore(),  # type: ignore[arg-type]
        lease_key="k",
        destination=None,
        stopping=kinesis.stopping,
        poll_interval=0.0,
        retry_delays=(0.0, 0.0),
        clock=lambda: 0.0,
        shard_ended=lambda shard: None,
    )
    reader = ShardReader(context, "shardId-000000000000", "kinesis:s/0", Liveness(), ending)
    reader.open(None, trim_horizon=True)
    return reader


def test_empty_pages_in_the_middle_of_an_open_shard_do_not_end_it():
    # GIVEN an open shard whose first three answers are empty, then one with records
    stopping = threading.Event()
    kinesis = ScriptedShard(
        [
            {"Records": [], "NextShardIterator": "it-1"},
            {"Records": [], "NextShardIterator": "it-2"},
            {"Records": [], "NextShardIterator": "it-3"},
            {"Records": [record(7), record(9)], "NextShardIterator": "it-4"},
        ],
        stopping,
    )
    accepted: list[list[str]] = []
    # WHEN the reader runs
    reader_for(kinesis).run(
        lambda rs: accepted.append([r["SequenceNumber"] for r in rs]), lambda: 10
    )
    # THEN it kept reading past the empty pages, with each next iterator, until stopped
    assert accepted == [["7", "9"]]
    assert kinesis.calls == ["it-0", "it-1", "it-2", "it-3", "it-4"]
    assert stopping.is_set()


def test_a_null_next_shard_iterator_ends_the_closed_shard_after_its_last_records():
    # GIVEN a closed shard whose last answer carries records and no NextShardIterator
    stopping = threading.Event()
    kinesis = ScriptedShard(
        [
            {"Records": [record(1)], "NextShardIterator": "it-1"},
            {"Records": [], "NextShardIterator": "it-2"},
            {"Records": [record(2), record(3)]},
        ],
        stopping,
    )
    accepted: list[list[str]] = []
    reader = reader_for(kinesis, ending="999")
    # WHEN the reader runs
    reader.run(lambda rs: accepted.append([r["SequenceNumber"] for r in rs]), lambda: 10)
    # THEN it handed over every record and returned without another call
    assert accepted == [["1"], ["2", "3"]]
    assert kinesis.calls == ["it-0", "it-1", "it-2"]
    assert not stopping.is_set()
    assert reader.position == 3


def test_an_empty_answer_on_a_closed_shard_not_read_to_its_end_is_not_its_end():
    # GIVEN a closed shard ending at 5, read up to 3, then an empty page, then the rest
    stopping = threading.Event()
    kinesis = ScriptedShard(
        [
            {"Records": [record(3)], "NextShardIterator": "it-1"},
            {"Records": [], "NextShardIterator": "it-2"},
            {"Records": [record(5)], "NextShardIterator": "it-3"},
        ],
        stopping,
    )
    accepted: list[list[str]] = []
    reader_for(kinesis, ending="5").run(
        lambda rs: accepted.append([r["SequenceNumber"] for r in rs]), lambda: 10
    )
    # THEN the reader went on after the empty page and ended at the ending sequence number
    assert accepted == [["3"], ["5"]]
    assert kinesis.calls == ["it-0", "it-1", "it-2"]
    assert not stopping.is_set()
