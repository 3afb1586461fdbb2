"""Query parameters and cursors: clear errors that name the field."""

from __future__ import annotations

import pytest

from chalicelib.adapters.cursors import decode_cursor, encode_cursor
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.validation import check_limit


@pytest.mark.parametrize(("raw", "expected"), [(None, 100), ("1", 1), ("1000", 1000), ("42", 42)])
def test_limit_accepts_1_to_1000_and_defaults_to_100(raw, expected):
    assert check_limit(raw) == expected


@pytest.mark.parametrize("raw", ["0", "1001", "-1", "abc", "", "1.5"])
def test_limit_outside_range_is_refused(raw):
    with pytest.raises(InvalidInput) as caught:
        check_limit(raw)
    assert str(caught.value) == "limit: must be an integer from 1 to 1000"


def test_cursor_round_trips():
    assert decode_cursor(encode_cursor("1795447800123-abc")) == "1795447800123-abc"


@pytest.mark.parametrize("cursor", ["!!!", "e30", "bm90IGpzb24", "eyJhZnRlciI6IDF9"])
def test_foreign_cursor_is_refused(cursor):
    with pytest.raises(InvalidInput) as caught:
        decode_cursor(cursor)
    assert str(caught.value) == "cursor: is not a cursor this API returned"
