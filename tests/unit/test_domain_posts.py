"""Posts: validation, ids that sort by time, the yubl-posted event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.posts import (
    Yubl,
    new_yubl,
    parse_yubl,
    parse_yubl_posted,
    yubl_posted_event,
)

NOW = datetime(2026, 11, 23, 15, 30, 0, 123456, tzinfo=UTC)
WIRE = {
    "yubl_id": "1795447800123-abc0abc0abc0",
    "author_id": "alice",
    "text": "hello",
    "posted_at": "2026-11-23T15:30:00.123Z",
}


def test_new_yubl_has_time_prefixed_id_and_millisecond_timestamp():
    yubl = new_yubl("alice", "hello", now=NOW, suffix="abc0abc0abc0")
    assert yubl == Yubl(
        yubl_id="1795447800123-abc0abc0abc0",
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
    yubl = new_yubl("alice", "hello", now=NOW, suffix="abc0abc0abc0")
    event = yubl_posted_event(yubl)
    assert event == {
        "type": "yubl-posted",
        "yubl": {
            "yubl_id": "1795447800123-abc0abc0abc0",
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
            "yubl.yubl_id: must be 13 digits, '-' and 12 lowercase hex digits, got '1'",
        ),
        (
            {"type": "yubl-posted", "yubl": {**WIRE, "text": None}},
            "yubl.text: must be a string",
        ),
    ],
)
def test_malformed_events_are_refused(payload, message):
    with pytest.raises(InvalidInput) as caught:
        parse_yubl_posted(payload)
    assert str(caught.value) == message


FORMAT = (
    "must be an RFC 3339 time like 2026-11-23T15:30:00.123Z or "
    "2026-11-23T16:30:00.123456+01:00, got"
)


@pytest.mark.parametrize(
    ("posted_at", "message"),
    [
        ("yesterday", f"yubl.posted_at: {FORMAT} 'yesterday'"),
        ("2026-11-23t15:30:00z", f"yubl.posted_at: {FORMAT} '2026-11-23t15:30:00z'"),
        ("1969-12-31T23:59:59Z", f"yubl.posted_at: {FORMAT} '1969-12-31T23:59:59Z'"),
        ("2026-11-23T15:30:00Z\n", f"yubl.posted_at: {FORMAT} '2026-11-23T15:30:00Z\\n'"),
        (
            "2026-11-23T23:59:60Z",
            "yubl.posted_at: is not a valid date and time: '2026-11-23T23:59:60Z'",
        ),
        (
            "2026-11-23T15:30:00+24:00",
            "yubl.posted_at: is not a valid date and time: '2026-11-23T15:30:00+24:00'",
        ),
        ("2026-11-23 15:30:00Z", f"yubl.posted_at: {FORMAT} '2026-11-23 15:30:00Z'"),
        ("2026-11-23T15:30:00.123", f"yubl.posted_at: {FORMAT} '2026-11-23T15:30:00.123'"),
        (
            "2026-02-30T00:00:00Z",
            "yubl.posted_at: is not a valid date and time: '2026-02-30T00:00:00Z'",
        ),
        (1795447800123, "yubl.posted_at: must be a string"),
        (None, "yubl.posted_at: must be a string"),
    ],
)
def test_a_posted_at_that_is_not_an_rfc_3339_time_is_refused(posted_at, message):
    with pytest.raises(InvalidInput) as caught:
        parse_yubl({**WIRE, "posted_at": posted_at}, now=NOW)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    "yubl_id",
    [
        "1795447800123-ABC0ABC0ABC0",  # upper case
        "179544780012-abc0abc0abc0",  # 12 digits of time
        "1795447800123-abc",  # short suffix
        "1795447800123abc0abc0abc0",  # no dash
        "yubl-1",
    ],
)
def test_a_yubl_id_not_in_the_posts_api_format_is_refused(yubl_id):
    with pytest.raises(InvalidInput) as caught:
        parse_yubl({**WIRE, "yubl_id": yubl_id}, now=NOW)
    assert str(caught.value) == (
        f"yubl.yubl_id: must be 13 digits, '-' and 12 lowercase hex digits, got {yubl_id!r}"
    )


def test_a_posted_at_later_than_now_plus_the_clock_skew_is_refused():
    # GIVEN a post stamped 60.001 s after the reader's clock, with 60 s of skew allowed
    wire = {**WIRE, "posted_at": "2026-11-23T15:31:00.124Z"}
    # THEN it is refused, naming the field, the time and the allowance
    with pytest.raises(InvalidInput) as caught:
        parse_yubl(wire, now=NOW, max_skew=timedelta(seconds=60))
    assert str(caught.value) == (
        "yubl.posted_at: is in the future (2026-11-23T15:31:00.124Z; "
        "now 2026-11-23T15:30:00.123Z, allowed clock skew 60 s)"
    )


def test_a_posted_at_within_the_clock_skew_is_accepted():
    wire = {**WIRE, "posted_at": "2026-11-23T15:31:00.123Z"}  # exactly 60 s ahead
    yubl = parse_yubl(wire, now=NOW, max_skew=timedelta(seconds=60))
    assert yubl.posted_at == "2026-11-23T15:31:00.123Z"


def test_without_a_clock_the_current_time_bounds_posted_at():
    with pytest.raises(InvalidInput, match="is in the future"):
        parse_yubl({**WIRE, "posted_at": "2999-01-01T00:00:00Z"})
    assert parse_yubl(WIRE).yubl_id == WIRE["yubl_id"]


def test_new_yubl_refuses_a_suffix_the_id_format_does_not_allow():
    with pytest.raises(ValueError, match="12 lowercase hex digits"):
        new_yubl("alice", "hello", now=NOW, suffix="abc")


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("2026-11-23T15:30:00.791339+00:00", "2026-11-23T15:30:00.791Z"),  # isoformat()
        ("2026-11-23T16:30:00.123456789+01:00", "2026-11-23T15:30:00.123Z"),  # RFC3339Nano
        ("2026-11-23T10:00:00.5-05:30", "2026-11-23T15:30:00.500Z"),
        ("2026-11-23T15:30:00Z", "2026-11-23T15:30:00.000Z"),
        ("2026-11-23T15:30:00.123Z", "2026-11-23T15:30:00.123Z"),  # the stored form as it is
    ],
)
def test_a_posted_at_with_an_offset_or_microseconds_is_stored_in_utc_milliseconds(sent, stored):
    # GIVEN a time as producers' libraries write it WHEN parsed THEN it is the stored form
    assert parse_yubl({**WIRE, "posted_at": sent}, now=NOW).posted_at == stored
