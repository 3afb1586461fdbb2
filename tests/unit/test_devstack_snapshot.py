"""The local data snapshot's file format, on small data (no emulator)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devstack.snapshot import (
    FORMAT,
    SNAPSHOT_FILE,
    Contents,
    SnapshotError,
    data_dir,
    decode_item,
    encode_item,
    keeps_data,
    read_snapshot,
    reset,
    write_snapshot,
)

# every DynamoDB attribute type, nested, as boto3's client returns them
ITEM = {
    "user_id": {"S": "u-1"},
    "count": {"N": "12.50"},
    "raw": {"B": b"\x00\xffbytes"},
    "flags": {"BOOL": False},
    "gone": {"NULL": True},
    "tags": {"SS": ["a", "b"]},
    "sizes": {"NS": ["1", "2"]},
    "blobs": {"BS": [b"\x01", b"\x02"]},
    "nested": {"M": {"inner": {"L": [{"B": b"\x03"}, {"S": "x"}, {"M": {}}]}}},
}


def test_an_item_is_written_as_dynamodb_json_with_binary_in_base64():
    assert encode_item(ITEM) == {
        "user_id": {"S": "u-1"},
        "count": {"N": "12.50"},
        "raw": {"B": "AP9ieXRlcw=="},
        "flags": {"BOOL": False},
        "gone": {"NULL": True},
        "tags": {"SS": ["a", "b"]},
        "sizes": {"NS": ["1", "2"]},
        "blobs": {"BS": ["AQ==", "Ag=="]},
        "nested": {"M": {"inner": {"L": [{"B": "Aw=="}, {"S": "x"}, {"M": {}}]}}},
    }


def test_an_encoded_item_decodes_to_the_same_item():
    assert decode_item(json.loads(json.dumps(encode_item(ITEM)))) == ITEM


def _contents() -> Contents:
    return Contents(
        tables={"FeedsTable": [ITEM, {"user_id": {"S": "u-2"}}], "EmptyTable": []},
        buckets={"ArchiveBucket": [{"Key": "a/b.jsonl", "Body": b"{}\n", "ContentType": "x/y"}]},
    )


def test_a_snapshot_is_a_header_one_line_per_row_and_object_and_a_trailer(tmp_path):
    path = tmp_path / "data" / SNAPSHOT_FILE
    counts = write_snapshot(path, "yubl-fanout-local", _contents())
    assert counts == {
        "tables": {"FeedsTable": 2, "EmptyTable": 0},
        "buckets": {"ArchiveBucket": 1},
    }
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(lines) == 5
    assert {k: lines[0][k] for k in ("format", "stack")} == {
        "format": FORMAT,
        "stack": "yubl-fanout-local",
    }
    assert lines[1] == {"table": "FeedsTable", "Item": encode_item(ITEM)}
    assert lines[2] == {"table": "FeedsTable", "Item": {"user_id": {"S": "u-2"}}}
    assert lines[3] == {
        "bucket": "ArchiveBucket",
        "Key": "a/b.jsonl",
        "Body": "e30K",
        "ContentType": "x/y",
    }
    assert lines[4] == {"end": counts}
    assert not (path.parent / (SNAPSHOT_FILE + ".partial")).exists()


def test_a_snapshot_reads_back_what_was_written(tmp_path):
    path = tmp_path / SNAPSHOT_FILE
    write_snapshot(path, "s", _contents())
    header, contents = read_snapshot(path)
    assert header["stack"] == "s"
    assert contents.tables == {"FeedsTable": [ITEM, {"user_id": {"S": "u-2"}}]}
    assert contents.buckets == {
        "ArchiveBucket": [{"Key": "a/b.jsonl", "Body": b"{}\n", "ContentType": "x/y"}]
    }


def test_a_snapshot_cut_short_is_refused(tmp_path):
    path = tmp_path / SNAPSHOT_FILE
    write_snapshot(path, "s", _contents())
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:2] + lines[3:]) + "\n")  # a row lost, trailer kept
    with pytest.raises(SnapshotError, match="incomplete"):
        read_snapshot(path)
    path.write_text("\n".join(lines[:3]) + "\n")  # no trailer
    with pytest.raises(SnapshotError, match="incomplete"):
        read_snapshot(path)


def test_a_file_of_another_format_is_refused(tmp_path):
    path = tmp_path / SNAPSHOT_FILE
    path.write_text('{"format": "other/9"}\n{"end": {}}\n')
    with pytest.raises(SnapshotError, match="not a yubl-local-snapshot/1 file"):
        read_snapshot(path)


def test_a_failed_write_keeps_the_previous_snapshot(tmp_path):
    path = tmp_path / SNAPSHOT_FILE
    write_snapshot(path, "s", _contents())
    before = path.read_bytes()

    def rows_then_failure():
        yield {"user_id": {"S": "u-3"}}
        raise ConnectionError("the emulator went away")

    with pytest.raises(ConnectionError):
        write_snapshot(path, "s", Contents(tables={"FeedsTable": rows_then_failure()}))
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [SNAPSHOT_FILE]


def test_reset_removes_the_snapshot(tmp_path):
    write_snapshot(tmp_path / SNAPSHOT_FILE, "s", _contents())
    assert reset(tmp_path) == [tmp_path / SNAPSHOT_FILE]
    assert list(tmp_path.iterdir()) == []
    assert reset(tmp_path) == []


def test_the_data_dir_follows_its_setting_then_the_log_dir(tmp_path):
    assert data_dir({"LOCAL_DATA_DIR": str(tmp_path / "d")}) == tmp_path / "d"
    assert data_dir({"LOCAL_LOG_DIR": str(tmp_path)}) == tmp_path / "data"
    assert data_dir({}) == Path(__file__).resolve().parents[2] / ".local" / "data"


@pytest.mark.parametrize(
    ("value", "kept"), [(None, True), ("1", True), ("0", False), ("false", False), ("no", False)]
)
def test_local_keep_data_turns_snapshots_off(value, kept):
    assert keeps_data({} if value is None else {"LOCAL_KEEP_DATA": value}) is kept
