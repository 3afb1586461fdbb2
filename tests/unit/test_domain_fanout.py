"""Fan-out planning: groups of followers, messages under SNS's limits, batches of 10."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.fanout import (
    ATTRIBUTE_ALLOWANCE,
    MAX_PAYLOAD_BYTES,
    GroupMessage,
    encode_group,
    follower_groups,
    pack_batches,
    parse_group_message,
)
from chalicelib.domain.posts import new_yubl

NOW = datetime(2026, 1, 1, tzinfo=UTC)
YUBL = new_yubl("author", "hello", now=NOW, suffix="5e5e5e5e5e5e")
GOOD = {"type": "feed-fanout", "version": 2, "yubl": YUBL.to_wire(), "followers": ["f1"]}


def test_pages_of_any_size_regroup_into_fixed_groups():
    pages = [["a", "b", "c"], ["d"], ["e", "f", "g", "h", "i"]]
    assert list(follower_groups(pages, 4)) == [["a", "b", "c", "d"], ["e", "f", "g", "h"], ["i"]]


def test_no_followers_means_no_groups():
    assert list(follower_groups([], 500)) == []


def test_group_message_carries_yubl_followers_and_the_posts_arrival():
    [message] = encode_group(YUBL, ["f1", "f2"], arrived_at="2026-01-01T00:00:00.250Z")
    assert json.loads(message) == {
        "type": "feed-fanout",
        "version": 2,
        "yubl": YUBL.to_wire(),
        "followers": ["f1", "f2"],
        "arrived_at": "2026-01-01T00:00:00.250Z",
    }
    parsed = parse_group_message(json.loads(message), now=NOW)
    assert parsed == GroupMessage(YUBL, ["f1", "f2"], 2, "2026-01-01T00:00:00.250Z")
    assert parsed.muters_excluded is True


def test_a_message_of_the_shape_before_version_2_is_still_read_and_leaves_mutes_to_its_worker():
    # GIVEN a message as the dispatcher wrote them before version 2 (parked since)
    old = {"type": "feed-fanout", "yubl": YUBL.to_wire(), "followers": ["f1"]}
    # THEN it is version 1: no arrival, its muters not left out yet
    parsed = parse_group_message(old, now=NOW)
    assert (parsed.version, parsed.arrived_at, parsed.muters_excluded) == (1, None, False)
    # AND what its worker parks when it stops early keeps that shape
    assert parsed.rest(["f1"]) == old


def test_a_group_too_large_for_one_message_is_split_in_order():
    followers = [f"user-{i:04d}" for i in range(100)]
    messages = encode_group(YUBL, followers, max_bytes=1000)
    assert len(messages) > 1
    assert all(len(m.encode()) <= 1000 for m in messages)
    assert [f for m in messages for f in json.loads(m)["followers"]] == followers


def test_largest_default_group_fits_one_message():
    big = new_yubl("a" * 64, "\U0001f600" * 2000, now=datetime(2026, 1, 1, tzinfo=UTC))
    followers = [f"{i:064d}" for i in range(500)]
    [message] = encode_group(big, followers)
    assert len(message.encode()) <= MAX_PAYLOAD_BYTES - ATTRIBUTE_ALLOWANCE


def test_batches_hold_at_most_ten_entries():
    batches = list(pack_batches([f"m{i}" for i in range(23)]))
    assert [len(b) for b in batches] == [10, 10, 3]
    assert [m for b in batches for m in b] == [f"m{i}" for i in range(23)]


def test_batches_stay_under_the_aggregate_size_limit():
    message = "x" * 60_000  # 4 fit in 256 KiB with the attribute allowance, 5 do not
    batches = list(pack_batches([message] * 9))
    assert [len(b) for b in batches] == [4, 4, 1]


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        (
            {"type": "feed-fanout", "yubl": YUBL.to_wire(), "followers": "f1"},
            "followers: must be a list",
        ),
        (
            {"type": "feed-fanout", "yubl": YUBL.to_wire(), "followers": ["ok", "not ok"]},
            "followers[1]: must be 1-64 characters of A-Z, a-z, 0-9, '_' or '-'",
        ),
        ({"type": "yubl-posted"}, "type: must be 'feed-fanout', got 'yubl-posted'"),
        (
            {"type": "feed-fanout", "version": 3, "yubl": YUBL.to_wire(), "followers": []},
            "version: must be 1 or 2, got 3",
        ),
        (
            {"type": "feed-fanout", "version": True, "yubl": YUBL.to_wire(), "followers": []},
            "version: must be 1 or 2, got True",
        ),
        (
            {**GOOD, "arrived_at": "yesterday"},
            "arrived_at: must be an RFC 3339 time like 2026-11-23T15:30:00.123Z or "
            "2026-11-23T16:30:00.123456+01:00, got 'yesterday'",
        ),
        (
            {**GOOD, "arrived_at": "2026-01-01T00:01:00.001Z"},
            "arrived_at: is in the future (2026-01-01T00:01:00.001Z; now "
            "2026-01-01T00:00:00.000Z, allowed clock skew 60 s)",
        ),
    ],
)
def test_malformed_group_messages_are_refused(payload, error):
    with pytest.raises(InvalidInput) as caught:
        parse_group_message(payload, now=NOW)
    assert str(caught.value) == error
