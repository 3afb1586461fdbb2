"""make bench-emulator measures every operation of the fan-out on both emulators, the
calls it says it made, side by side (loadtests/emulator_costs.py), at a fiftieth of its
size."""

from __future__ import annotations

import pytest

from loadtests.emulator_costs import measure_costs, report

pytestmark = pytest.mark.emulator

# each operation's base number of calls, a fiftieth of it, at least one
EXPECTED_CALLS = {
    "BatchWriteItem, 25 feed entries": 4,
    "BatchGetItem, 100 last reads": 2,
    "GetItem, consistent (a tombstone)": 6,
    "Query, 1,001 followers' ids": 1,
    "Query, 10,000 followers' ids": 1,
    "Query, COUNT of 10,000": 1,
    "ReceiveMessage, empty queue": 6,
    "PublishBatch, 10 messages to an SQS subscriber": 1,
    "ReceiveMessage, 10 of about 500": 1,
    "DeleteMessage": 4,
}


def test_every_operation_is_measured_on_stock_moto_and_on_the_emulator():
    lines: list[str] = []
    stock = measure_costs(True, 0.02, lines.append)
    ours = measure_costs(False, 0.02, lines.append)
    assert stock.calls == ours.calls == EXPECTED_CALLS
    assert list(stock.ms_per_call) == list(ours.ms_per_call) == list(EXPECTED_CALLS)
    assert all(ms >= 0 for ms in [*stock.ms_per_call.values(), *ours.ms_per_call.values()])
    assert len(lines) == 2 * len(EXPECTED_CALLS)
    table = report(stock, ours).splitlines()
    assert [line.split("  ")[0].strip() for line in table[1:]] == list(EXPECTED_CALLS)
