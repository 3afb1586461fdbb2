"""The archive and accounts: the index written before each object, a deleted author's
events left out, and erasure rewriting exactly the objects that hold a user's lines."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from chalicelib.adapters.accounts_memory import InMemoryArchiveIndex, InMemoryUserStore
from chalicelib.adapters.memory import InMemoryArchiveStore, InMemoryFailureSink
from chalicelib.domain.accounts import UserDeleted
from chalicelib.domain.posts import new_yubl
from chalicelib.domain.routing import event_message
from chalicelib.events.archive_batch import ArchiveBatch
from chalicelib.services.archive import ArchiveService
from chalicelib.services.archive_erasure import ArchiveEraser, erasure_key
from tests.aws_samples import sqs_record

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


class IndexFirst(InMemoryArchiveStore):
    """Fails the test if an object is written before the index names its authors."""

    def __init__(self, index: InMemoryArchiveIndex) -> None:
        super().__init__()
        self.index = index

    def put_object(self, key, lines):
        authors = {json.loads(line)["yubl"]["author_id"] for line in lines}
        assert {(a, key) for a in authors} <= self.index.entries, "object written unindexed"
        super().put_object(key, lines)


def _archive(users: InMemoryUserStore) -> tuple[ArchiveBatch, IndexFirst, InMemoryArchiveIndex]:
    index = InMemoryArchiveIndex()
    store = IndexFirst(index)
    batches = iter(f"batch{n}" for n in range(100))

    def deleted_among(ids):
        return {u for u, a in users.accounts(ids).items() if not a.active}

    service = ArchiveService(
        store, clock=lambda: NOW, batch_ids=lambda: next(batches), index=index,
        deleted_among=deleted_among,
    )  # fmt: skip
    worker = ArchiveBatch(f"archive_{id(store)}", lambda: service, InMemoryFailureSink)
    return worker, store, index


def _batch(*posts: tuple[str, str]) -> dict:
    records = [
        sqs_record({}, event_message("yubl-posted", new_yubl(a, "hi", now=NOW, suffix=s * 12)))
        for a, s in posts
    ]
    return {"Records": records}


def test_objects_are_indexed_per_author_and_erasure_rewrites_only_those_of_the_user():
    users = InMemoryUserStore(["ann", "bob", "cat"])
    worker, store, index = _archive(users)
    worker.handle(_batch(("ann", "a"), ("bob", "b")))  # batch0: ann and bob
    worker.handle(_batch(("bob", "c"), ("cat", "d")))  # batch1: no line of ann's
    worker.handle(_batch(("ann", "e")))  # batch2: ann alone
    assert index.keys("ann") == [
        "events/yubl-posted/2026/11/23/batch0.ndjson",
        "events/yubl-posted/2026/11/23/batch2.ndjson",
    ]
    untouched = store.objects["events/yubl-posted/2026/11/23/batch1.ndjson"]
    eraser = ArchiveEraser(store, index)
    assert eraser.erase("ann") == 2
    assert sorted(store.objects) == [
        "events/yubl-posted/2026/11/23/batch0.ndjson",  # bob's line kept
        "events/yubl-posted/2026/11/23/batch1.ndjson",
    ]
    [kept] = store.objects["events/yubl-posted/2026/11/23/batch0.ndjson"]
    assert json.loads(kept)["yubl"]["author_id"] == "bob"
    assert store.objects["events/yubl-posted/2026/11/23/batch1.ndjson"] == untouched
    assert index.keys("ann") == [] and len(index.keys("bob")) == 2
    assert eraser.erase("ann") == 0  # a repeat finds nothing more


def test_a_deleted_authors_events_are_not_archived_and_the_reason_is_logged(capsys):
    users = InMemoryUserStore(["ann", "bob"])
    users.mark_deleted("ann", "2026-11-23T11:00:00.000Z")
    worker, store, index = _archive(users)
    worker.handle(_batch(("ann", "a"), ("bob", "b")))
    [lines] = store.objects.values()
    assert [json.loads(line)["yubl"]["author_id"] for line in lines] == ["bob"]
    assert index.keys("ann") == []
    logged = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    [skipped] = [line for line in logged if line.get("reason") == "account deleted"]
    assert (skipped["message"], skipped["author_id"]) == (
        "event not archived: its author deleted their account",
        "ann",
    )


def test_the_erasure_record_says_who_when_and_how_much_and_nothing_of_the_content():
    store, index = InMemoryArchiveStore(), InMemoryArchiveIndex()
    deleted = UserDeleted("ann", "2026-11-23T11:00:00.000Z")
    ArchiveEraser(store, index).record(deleted, "2026-11-23T11:02:00.000Z", {"posts": 3})
    assert store.objects[erasure_key("ann")] == [
        '{"type":"user-erased","event_id":"user-deleted:ann","user_id":"ann",'
        '"deleted_at":"2026-11-23T11:00:00.000Z","erased_at":"2026-11-23T11:02:00.000Z",'
        '"removed":{"posts":3}}'
    ]
    assert erasure_key("ann") == "erasures/user-deleted/ann.ndjson"
