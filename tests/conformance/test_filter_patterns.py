"""Lambda's filter pattern syntax, as FilterCriteria applies it to a record's JSON data."""

from __future__ import annotations

import pytest

from local_runtime.filters import matches_any, matches_pattern

RECORD = {
    "partitionKey": "author-1",
    "data": {"type": "yubl-posted", "size": 12, "tags": ["a", "b"], "author": {"id": "u1"}},
}


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({"data": {"type": ["yubl-posted"]}}, True),
        ({"data": {"type": ["yubl-deleted"]}}, False),
        ({"data": {"type": ["yubl-deleted", "yubl-posted"]}}, True),
        ({"data": {"tags": ["b"]}}, True),
        ({"data": {"author": {"id": ["u1"]}}}, True),
        ({"data": {"author": {"id": ["u2"]}}}, False),
        ({"partitionKey": [{"prefix": "author-"}]}, True),
        ({"partitionKey": [{"suffix": "-1"}]}, True),
        ({"data": {"type": [{"equals-ignore-case": "YUBL-POSTED"}]}}, True),
        ({"data": {"type": [{"anything-but": ["yubl-posted"]}]}}, False),
        ({"data": {"type": [{"anything-but": ["other"]}]}}, True),
        ({"data": {"size": [{"numeric": [">", 10, "<=", 12]}]}}, True),
        ({"data": {"size": [{"numeric": ["<", 10]}]}}, False),
        ({"data": {"missing": [{"exists": False}]}}, True),
        ({"data": {"type": [{"exists": False}]}}, False),
        ({"data": {"type": [{"exists": True}]}}, True),
        ({"data": {"missing": [None]}}, False),
    ],
)
def test_pattern_operators(pattern, expected):
    assert matches_pattern(pattern, RECORD) is expected


def test_no_filters_let_everything_through_and_any_filter_may_match():
    assert matches_any([], RECORD) is True
    assert matches_any([{"data": {"type": ["x"]}}, {"partitionKey": ["author-1"]}], RECORD)
    assert not matches_any([{"data": {"type": ["x"]}}, {"partitionKey": ["y"]}], RECORD)
