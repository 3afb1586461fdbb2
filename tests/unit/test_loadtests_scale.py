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
CALL_MS = {
    "Query": 10,
    "PublishBatch": 20,
    "PutItem": 5,
    "BatchWriteItem": 10,
    "BatchGetItem": 8,
    "GetItem": 4,
}
SETTINGS = {
    "head": 1_000,
    "group_size": 100,
    "bulk_group_size": 1_000,
    "range_size": 10_000,
    "page_size": 10_000,
    "bulk_concurrency": 200,
}


def test_a_million_followers_is_a_head_100_ranges_and_bound_by_the_tables_write_rate():
    found = estimate(1_000_000, SETTINGS, LIMITS, CALL_MS)
    # the head: 1,000 followers in 10 messages of 100; the rest, 999,000, in 100 ranges
    # (99 of 10,000 and one of 9,000) of 1,000-follower messages: 99 x 10 + 9 = 999
    assert (found["ranges"], found["group_messages"]) == (100, {"head": 10, "bulk": 999})
    # dispatcher: the head's page and the muters; one PublishBatch of 10 messages, its
    # progress put, and the plan handed over
    assert found["dispatcher"]["calls"] == {"Query": 2, "PublishBatch": 2, "PutItem": 1}
    # the plan: a counting Query per range; 100 range messages, 10 a call
    assert found["plan"]["calls"] == {"Query": 100, "PublishBatch": 10, "PutItem": 10}
    # a range: one page of 10,000 and the muters; 10 messages in one call
    assert found["range_worker"]["calls"] == {"Query": 2, "PublishBatch": 1, "PutItem": 1}
    bulk = {"BatchGetItem": 10, "BatchWriteItem": 40, "GetItem": 1}
    assert found["feed_workers"]["bulk_message"] == bulk
    # the head's 10 messages and 999 bulk messages share the bulk lane's 200 workers:
    # 6 waves of (10 x 8 + 40 x 10 + 4) ms, the longer of the two messages
    assert found["feed_workers"]["bulk_waves"] == 6
    assert found["feed_workers"]["concurrency_seconds"] == pytest.approx(6 * 0.484, abs=0.005)
    # dispatcher 0.065 s + plan 1.25 s + one range 0.04 s + the author's partition read
    # (2 x 1e6 x 40 B / 4 KiB x 0.5 units / 3,000 units/s), then 1e6 write units
    base = 0.065 + 1.25 + 0.04 + 2 * 1_000_000 * 40 / 4096 * 0.5 / 3_000
    assert found["minutes_warm_table"] == pytest.approx((base + 25.0) / 60, abs=0.005)
    assert found["minutes_new_table"] == pytest.approx((base + 250.0) / 60, abs=0.005)


def test_ranges_beyond_the_concurrency_limit_run_in_waves():
    found = estimate(
        31_000, {**SETTINGS, "range_size": 1_000}, {**LIMITS, "lambda_concurrency": 10}, CALL_MS
    )
    # 30,000 after the head: 30 ranges on 10 workers at a time, 3 waves of
    # (2 Query + 1 PublishBatch + 1 PutItem) = 45 ms
    assert found["ranges"] == 30
    assert found["range_worker"]["seconds"] == 0.14  # 3 x 45 ms = 0.135 s, in hundredths


def test_a_post_within_the_head_hands_nothing_over():
    found = estimate(800, SETTINGS, LIMITS, CALL_MS)
    assert (found["ranges"], found["group_messages"]) == (0, {"head": 8, "bulk": 0})
    assert found["dispatcher"]["calls"] == {"Query": 2, "PublishBatch": 1, "PutItem": 1}
    assert found["plan"]["calls"] == {"Query": 0, "PublishBatch": 0, "PutItem": 0}
    # 8 messages of 100 on the priority lane, all at once: one message's (8 + 4 x 10 + 4) ms
    assert found["feed_workers"]["bulk_waves"] == 0
    assert found["feed_workers"]["concurrency_seconds"] == pytest.approx(0.052, abs=0.005)
