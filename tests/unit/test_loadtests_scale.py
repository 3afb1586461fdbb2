"""The million-follower estimate's arithmetic (``loadtests/scale.py``), from its inputs."""

from __future__ import annotations

import pytest

from loadtests.scale import estimate

LIMITS = {
    "lambda_concurrency": 1000,
    "dynamodb_table_write_units_per_s": 40_000,
    "dynamodb_new_table_write_units_per_s": 4_000,
    "dynamodb_partition_read_units_per_s": 3_000,
    "relationship_item_bytes": 40,
    "dispatcher_timeout_s": 300,
}
CALL_MS = {"Query": 10, "PublishBatch": 20, "PutItem": 5, "BatchWriteItem": 10}
SETTINGS = {"range_size": 10_000, "group_size": 100, "page_size": 10_000}


def test_a_million_followers_is_101_ranges_and_bound_by_the_tables_write_rate():
    found = estimate(1_000_000, SETTINGS, LIMITS, CALL_MS)
    assert (found["ranges"], found["group_messages"]) == (101, 10_000)
    assert found["plan"]["calls"] == {"Query": 101, "PublishBatch": 11, "PutItem": 11}
    assert found["range_worker"]["calls"] == {"Query": 1, "PublishBatch": 10, "PutItem": 10}
    # plan 1.285 s + one range 0.26 s + the author's partition read 3.255 s
    # (2 x 1e6 x 40 B / 4 KiB x 0.5 units / 3,000 units/s), then 1e6 write units
    base = 1.285 + 0.26 + 2 * 1_000_000 * 40 / 4096 * 0.5 / 3_000
    assert found["minutes_warm_table"] == pytest.approx((base + 25.0) / 60, abs=0.005)
    assert found["minutes_new_table"] == pytest.approx((base + 250.0) / 60, abs=0.005)


def test_ranges_beyond_the_concurrency_limit_run_in_waves():
    found = estimate(
        30_000, {**SETTINGS, "range_size": 1_000}, {**LIMITS, "lambda_concurrency": 10}, CALL_MS
    )
    # 31 ranges on 10 workers at a time: 4 waves of (1 Query + 1 PublishBatch + 1 PutItem)
    assert found["range_worker"]["seconds"] == pytest.approx(4 * 0.035)
