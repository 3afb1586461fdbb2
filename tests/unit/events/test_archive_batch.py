"""The archive worker on twins: a batch of SQS records becomes one NDJSON object per
date, an invalid record is dead-lettered alone, a failed write fails the whole batch."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from chalicelib.adapters.memory import InMemoryArchiveStore, InMemoryFailureSink
from chalicelib.domain.delete_messages import delete_event_message
from chalicelib.domain.deletes import yubl_deleted
from chalicelib.domain.posts import new_yubl
from chalicelib.domain.routing import event_message
from chalicelib.events.archive_batch import ArchiveBatch
from chalicelib.services.archive import ArchiveService
from tests.aws_samples import sqs_record

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _message(suffix: str) -> str:
    return event_message("yubl-posted", new_yubl("alice", "hi", now=NOW, suffix=suffix * 12))


def _record(body: str, correlation_id: str) -> dict:
    attributes = {"x-correlation-id": {"stringValue": correlation_id, "dataType": "String"}}
    return sqs_record(attributes, body)


def _worker(name: str, store: InMemoryArchiveStore, sink: InMemoryFailureSink) -> ArchiveBatch:
    service = ArchiveService(store, clock=lambda: NOW, batch_ids=lambda: "batch")
    return ArchiveBatch(name, lambda: service, lambda: sink)


def test_valid_records_go_into_one_object_and_an_invalid_one_is_dead_lettered(capsys):
    store, sink = InMemoryArchiveStore(), InMemoryFailureSink()
    worker = _worker("archive_test_ok", store, sink)
    bad = json.loads(_message("b"))
    bad["event_id"] = "yubl-posted:someone-else"
    event = {
        "Records": [
            _record(_message("a"), "c-1"),
            _record(json.dumps(bad), "c-2"),
            _record(_message("c"), "c-3"),
        ]
    }
    assert worker.handle(event) == {"batchItemFailures": []}
    lines = [
        json.loads(line) for line in store.objects["events/yubl-posted/2026/11/23/batch.ndjson"]
    ]
    ids = [line["event_id"] for line in lines]
    assert ids == [f"yubl-posted:1795435200000-{c * 12}" for c in "ac"]
    assert list(store.objects) == ["events/yubl-posted/2026/11/23/batch.ndjson"]
    [(dead, correlation)] = sink.dead_letters
    assert (dead["error"]["type"], dead["handler"], correlation["x-correlation-id"]) == (
        "InvalidInput",
        "archive_test_ok",
        "c-2",
    )
    # each archived line is logged under the correlation id of its own record
    logged = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    archived = [line for line in logged if line.get("message") == "event archived"]
    assert [(line["event_id"], line["x-correlation-id"]) for line in archived] == [
        (ids[0], "c-1"),
        (ids[1], "c-3"),
    ]


def test_a_failed_write_fails_the_whole_batch_for_sqs_to_show_again():
    store = InMemoryArchiveStore(fail_with=RuntimeError("S3 unavailable"))
    sink = InMemoryFailureSink()
    worker = _worker("archive_test_fail", store, sink)
    with pytest.raises(RuntimeError, match="S3 unavailable"):
        worker.handle({"Records": [_record(_message("a"), "c-1")]})
    assert (sink.parked, sink.dead_letters) == ([], [])


def test_a_record_re_run_from_a_queue_is_written_alone():
    store, sink = InMemoryArchiveStore(), InMemoryFailureSink()
    worker = _worker("archive_test_rerun", store, sink)
    worker.processor.handle(json.loads(_message("d")))
    [lines] = store.objects.values()
    assert [json.loads(x)["event_id"] for x in lines] == ["yubl-posted:1795435200000-" + "d" * 12]


def test_a_batch_of_posts_and_deletes_is_archived_under_each_event_types_prefix():
    store, sink = InMemoryArchiveStore(), InMemoryFailureSink()
    worker = _worker("archive_test_types", store, sink)
    deleted = yubl_deleted("alice", f"1795435200000-{'a' * 12}", now=NOW)
    event = {
        "Records": [
            _record(_message("a"), "c-1"),
            _record(delete_event_message(deleted, ["bob"]), "c-2"),
        ]
    }
    assert worker.handle(event) == {"batchItemFailures": []}
    archived = {
        key: [json.loads(line)["event_id"] for line in lines]
        for key, lines in store.objects.items()
    }
    assert archived == {
        "events/yubl-posted/2026/11/23/batch.ndjson": [f"yubl-posted:{deleted.yubl_id}"],
        "events/yubl-deleted/2026/11/23/batch.ndjson": [f"yubl-deleted:{deleted.yubl_id}"],
    }
    assert sink.dead_letters == []
