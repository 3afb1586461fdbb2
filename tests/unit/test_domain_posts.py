"""Posts: validation, ids that sort by time, the yubl-posted event."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.posts import Yubl, new_yubl, parse_yubl_posted, yubl_posted_event

NOW = datetime(2026, 11, 23, 15, 30, 0, 123456, tzinfo=UTC)


def test_new_yubl_has_time_prefixed_id_and_millisecond_timestamp():
    yubl = new_yubl("alice", "hello", now=NOW, suffix="abc")
    assert yubl == Yubl(
        yubl_id="1795447800123-abc",
        author_id="alice",
        text="hello",
        posted_at="2026-11-23T15:30:00.123Z",
    )


def test_ids_of_later_yubls_sort_after_earlier_ones():
    earlier = new_yubl("a", "x", now=datetime(2026, 1, 1, tzinfo=UTC))
    later = new_yubl("a", "x", now=datetime(2026, 1, 1, 0, 0, 0, 1000, tzinfo=UTC))
    assert earlier.yubl_id < later.yubl_id


@pytest.mark.parametrize(
    ("author_id", "text", "message"),
    [
        (None, "hi", "author_id: must be a string"),
        ("", "hi", "author_id: must be 1-64 characters of A-Z, a-z, 0-9, '_' or '-'"),
        ("a" * 65, "hi", "author_id: must be 1-64 characters of A-Z, a-z, 0-9, '_' or '-'"),
        ("bob smith", "hi", "author_id: must be 1-64 characters of A-Z, a-z, 0-9, '_' or '-'"),
        ("bob", "", "text: must be 1-2000 characters"),
        ("bob", "x" * 2001, "text: must be 1-2000 characters"),
        ("bob", 42, "text: must be a string"),
    ],
)
def test_invalid_fields_are_named_in_the_error(author_id, text, message):
    with pytest.raises(InvalidInput) as caught:
        new_yubl(author_id, text, now=NOW)
    assert str(caught.value) == message


def test_boundary_lengths_are_accepted():
    yubl = new_yubl("a" * 64, "x" * 2000, now=NOW)
    assert (len(yubl.author_id), len(yubl.text)) == (64, 2000)


def test_event_round_trips_through_parse():
    yubl = new_yubl("alice", "hello", now=NOW, suffix="abc")
    event = yubl_posted_event(yubl)
    assert event == {
        "type": "yubl-posted",
        "yubl": {
            "yubl_id": "1795447800123-abc",
            "author_id": "alice",
            "text": "hello",
            "posted_at": "2026-11-23T15:30:00.123Z",
        },
    }
    assert parse_yubl_posted(event) == yubl


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("text", "event: must be a JSON object"),
        ({"type": "other"}, "type: must be 'yubl-posted', got 'other'"),
        ({"type": "yubl-posted"}, "yubl: must be an object"),
        (
            {"type": "yubl-posted", "yubl": {"yubl_id": "1", "posted_at": "t", "author_id": "a"}},
            "yubl.text: must be a string",
        ),
    ],
)
def test_malformed_events_are_refused(payload, message):
    with pytest.raises(InvalidInput) as caught:
        parse_yubl_posted(payload)
    assert str(caught.value) == message
