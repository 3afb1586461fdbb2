"""BatchWriteItem: 25 a call, unprocessed items sent again with backoff."""

from __future__ import annotations

import pytest

from chalicelib.adapters.batch_writes import UnprocessedWrites, write_all


class FlakyTable:
    """Accepts everything but the last ``refuse`` items of each call, for ``times`` calls."""

    def __init__(self, refuse: int, times: int) -> None:
        self.refuse, self.times = refuse, times
        self.calls: list[list[int]] = []
        self.written: list[int] = []

    def send(self, items):
        self.calls.append([i["n"] for i in items])
        if self.times > 0:
            self.times -= 1
            accepted, unprocessed = items[: -self.refuse], items[-self.refuse :]
        else:
            accepted, unprocessed = items, []
        self.written += [i["n"] for i in accepted]
        return unprocessed


def test_items_are_sent_25_at_a_time():
    table = FlakyTable(refuse=0, times=0)
    calls = write_all(table.send, [{"n": i} for i in range(60)], sleep=lambda s: None)
    assert calls == 3
    assert [len(c) for c in table.calls] == [25, 25, 10]
    assert table.written == list(range(60))


def test_unprocessed_items_are_retried_after_a_pause_until_written():
    table = FlakyTable(refuse=5, times=2)
    pauses: list[float] = []
    calls = write_all(table.send, [{"n": i} for i in range(25)], sleep=pauses.append)
    assert table.calls == [list(range(25)), list(range(20, 25)), list(range(20, 25))]
    assert sorted(table.written) == list(range(25))
    assert calls == 3
    assert len(pauses) == 2 and all(0 <= p <= 2.0 for p in pauses)


def test_gives_up_with_a_clear_error_after_max_attempts():
    table = FlakyTable(refuse=3, times=100)
    with pytest.raises(UnprocessedWrites) as caught:
        write_all(table.send, [{"n": i} for i in range(10)], max_attempts=4, sleep=lambda s: None)
    assert str(caught.value) == "3 items still unprocessed after 4 attempts"
    assert len(table.calls) == 4
