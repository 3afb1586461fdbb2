"""Loop guard: a record whose call chain has grown past the limit is refused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from chalicelib.observability.correlation import CallChainTooLong, check_call_chain


def test_a_record_exactly_at_the_limit_passes(
    written: Callable[[], list[dict[str, Any]]],
) -> None:
    # GIVEN a record at hop 10, and the default limit of 10
    ids = {"x-correlation-id": "abc", "call-chain-length": "10"}
    # WHEN the guard checks it
    length = check_call_chain(ids)
    # THEN it passes with its length, silently
    assert length == 10
    assert written() == []


def test_a_record_one_past_the_limit_is_refused_with_an_error_line(
    written: Callable[[], list[dict[str, Any]]],
) -> None:
    # GIVEN a record at hop 11, and the default limit of 10
    ids = {"x-correlation-id": "abc", "call-chain-length": "11"}
    # WHEN the guard checks it
    with pytest.raises(CallChainTooLong) as refused:
        check_call_chain(ids)
    # THEN it is refused, and one error line under the record's own id says why
    assert (refused.value.length, refused.value.limit) == (11, 10)
    [line] = written()
    assert line["level"] == "ERROR"
    assert line["message"] == "call chain too long: record refused"
    assert line["x-correlation-id"] == "abc"
    assert (line["call_chain_length"], line["call_chain_limit"]) == (11, 10)


def test_the_limit_comes_from_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN MAX_CALL_CHAIN_LENGTH set to 3
    monkeypatch.setenv("MAX_CALL_CHAIN_LENGTH", "3")
    # WHEN records at hop 3 and hop 4 are checked
    # THEN hop 3 passes and hop 4 is the first one refused, against a limit of 3
    assert check_call_chain({"call-chain-length": "3"}) == 3
    with pytest.raises(CallChainTooLong) as refused:
        check_call_chain({"call-chain-length": "4"})
    assert (refused.value.length, refused.value.limit) == (4, 3)


def test_an_explicit_limit_overrides_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a setting of 5 and an explicit limit of 1
    monkeypatch.setenv("MAX_CALL_CHAIN_LENGTH", "5")
    # WHEN a record at hop 2 is checked
    # THEN it is refused against the explicit limit
    with pytest.raises(CallChainTooLong) as refused:
        check_call_chain({"call-chain-length": "2"}, limit=1)
    assert (refused.value.length, refused.value.limit) == (2, 1)


def test_ids_without_a_chain_length_pass_as_hop_zero(
    written: Callable[[], list[dict[str, Any]]],
) -> None:
    # GIVEN ids that never carried a chain length
    # WHEN the guard checks them with the strictest limit
    length = check_call_chain({"x-correlation-id": "abc"}, limit=0)
    # THEN they count as hop 0 and pass, silently
    assert length == 0
    assert written() == []


def test_work_with_hops_ahead_needs_room_for_all_of_them(
    written: Callable[[], list[dict[str, Any]]],
) -> None:
    # GIVEN work that will take 2 more hops, and the default limit of 10
    # WHEN it arrives at hop 8, then at hop 9
    # THEN hop 8 passes (its last hop is 10) and hop 9 is refused (its last would be 11)
    assert check_call_chain({"call-chain-length": "8"}, hops_ahead=2) == 8
    assert written() == []
    with pytest.raises(CallChainTooLong) as refused:
        check_call_chain({"call-chain-length": "9"}, hops_ahead=2)
    assert str(refused.value) == (
        "call-chain-length 9 leaves no room for the 2 hops this request takes (limit 10)"
    )
    [line] = written()
    assert (line["call_chain_length"], line["hops_ahead"]) == (9, 2)
