"""Smoke test of ``make bench`` and ``make cost`` at tiny sizes: the JSON's structure,
and calls counted inside the stack's processes equal to what the posts must cost,
worked out here by hand. No timing is asserted."""

from __future__ import annotations

import math

import pytest

from loadtests.bench import run
from loadtests.cost import costs, load_pricing
from loadtests.graph import BenchSettings, build_graph
from loadtests.tradeoff import TradeoffSettings

pytestmark = [pytest.mark.e2e, pytest.mark.emulator]

SETTINGS = BenchSettings(
    big_authors=1,
    big_followers=60,
    small_authors=2,
    small_max_followers=30,
    raw_items=50,
    raw_threads=(1, 2),
    naive=True,
    naive_max_entries=1_000,
    timeout_s=240,
)
TRADEOFF = TradeoffSettings(
    follower_counts=(30,), celebrities_followed=(0, 2), following=4, page=3, group_size=20
)


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return run(
        SETTINGS, tmp_path_factory.mktemp("bench"), lambda _: None, tradeoff_settings=TRADEOFF
    )


def test_every_feed_entry_is_written_once_in_both_variants(result):
    graph = build_graph(SETTINGS)
    expected = sum(len(graph.followers[a]) for a in graph.posts)
    for figures in (result, result["naive"]):
        assert figures["complete"] is True
        assert figures["feed_entries"] == figures["expected_entries"] == expected
        assert figures["duplicate_writes"] == 0
        assert set(figures["post_to_feed_ms"]) == {"p50", "p95", "p99"}


def test_the_optimised_write_path_makes_exactly_the_calls_its_posts_need(result):
    graph = build_graph(SETTINGS)
    sizes = [len(graph.followers[a]) for a in graph.posts]
    posts, reached = len(sizes), sum(1 for n in sizes if n)
    # one PutRecord and one Query page each; one PublishBatch per post with followers
    # (every group fits one message) and one per post to each of the notifications and
    # archive groups; 25 entries per BatchWriteItem; the dispatcher reads its progress
    # item once per post and writes it after each feed PublishBatch; it reads the
    # author's follower count once per post (hybrid fan-out)
    assert result["aws_requests"]["write_path"] == {
        "PutRecord": posts,
        "Query": posts,
        "PublishBatch": reached + 2 * posts,
        "BatchWriteItem": sum(math.ceil(n / 25) for n in sizes),
        "GetItem": 2 * posts,
        "PutItem": reached + posts,  # progress after the feed's batch; the post stored once
    }
    assert result["floor"] == {
        "PutRecord": posts,
        "Query": posts,
        "PublishBatch": reached + 2 * posts,
        "BatchWriteItem": sum(math.ceil(n / 25) for n in sizes),
    }
    floor_calls = 2 * posts + reached + 2 * posts + sum(math.ceil(n / 25) for n in sizes)
    assert result["floor_per_1000_entries"] == round(floor_calls * 1000 / sum(sizes), 1)
    assert {"GetRecords", "ReceiveMessage"} <= set(result["aws_requests"]["polling"])


def test_the_naive_variant_publishes_and_writes_once_per_entry(result):
    naive = result["naive"]
    write_path = naive["aws_requests"]["write_path"]
    assert write_path["Publish"] == write_path["PutItem"] == naive["feed_entries"]
    assert write_path["PutRecord"] == write_path["Query"] == naive["posts"]


def test_raw_rate_and_ratios_are_reported(result):
    raw = result["raw_batch_write"]
    assert set(raw["by_threads"]) == {1, 2}
    assert raw["entries_per_s"] == max(raw["by_threads"].values()) > 0
    assert result["ratio_to_raw"] == round(result["entries_per_s"] / raw["entries_per_s"], 3)


def test_cost_has_every_line_item_for_both_variants(result):
    found = costs(result, load_pricing())
    items = {
        "lambda_requests",
        "lambda_gb_seconds",
        "kinesis_shard_hours",
        "kinesis_put_units",
        "sns_publishes",
        "sns_deliveries",
        "sqs_requests",
        "dynamodb_writes",
        "dynamodb_reads",
        "total",
    }
    assert set(found["optimised"]) == set(found["naive"]) == items
    # the naive variant publishes once per entry: more SNS requests than batches of 10
    assert found["naive"]["sns_publishes"] > found["optimised"]["sns_publishes"]


def test_the_tradeoff_counts_what_a_pushed_and_a_pulled_post_and_a_merged_page_need(result):
    (write,) = result["celebrity_tradeoff"]["write_per_post"]
    # pushed to 30 followers: the post stored, the count read, one Query page, two
    # follower groups of 20 in one PublishBatch, 25 entries per BatchWriteItem
    assert write["push"]["by_operation"] == {
        "PutItem": 1,
        "GetItem": 1,
        "Query": 1,
        "PublishBatch": 1,
        "BatchWriteItem": 2,
    }
    assert write["push"]["write_units"] == 1 + 30
    # pulled: the post stored, the count read, the author and the post marked
    assert write["pull"]["by_operation"] == {"PutItem": 1, "GetItem": 1, "UpdateItem": 2}
    assert write["pull"]["write_units"] == 3
    pages = {
        row["celebrities_followed"]: row for row in result["celebrity_tradeoff"]["read_per_page"]
    }
    # the plain page: its Query and one BatchGetItem; merged: plus the pulling index, the
    # follow list, and one Query per celebrity followed
    assert pages[0]["plain_page"]["by_operation"] == {"Query": 1, "BatchGetItem": 1}
    assert pages[0]["merged_first_page"]["by_operation"] == {"Query": 3, "BatchGetItem": 1}
    assert pages[2]["merged_first_page"]["by_operation"]["Query"] == 5
