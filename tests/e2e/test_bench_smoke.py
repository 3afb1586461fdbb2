"""Smoke test of ``make bench`` and ``make cost`` at tiny sizes: the JSON's structure,
and calls counted inside the stack's processes equal to what the posts must cost,
worked out here by hand. No timing is asserted."""

from __future__ import annotations

import math

import pytest

from loadtests.bench import run
from loadtests.cost import costs, load_pricing
from loadtests.graph import BenchSettings, build_graph
from loadtests.inactive import choose_inactive
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


def _active_sizes() -> list[int]:
    """Per post, its followers that the optimised variant writes to: the inactive share
    (BENCH_INACTIVE_PERCENT, 60 %) is skipped."""
    graph = build_graph(SETTINGS)
    quiet = choose_inactive(graph, SETTINGS.inactive_percent, SETTINGS.seed)
    return [sum(1 for f in graph.followers[a] if f not in quiet) for a in graph.posts]


def test_every_feed_entry_is_written_once_in_both_variants(result):
    graph = build_graph(SETTINGS)
    everyone = sum(len(graph.followers[a]) for a in graph.posts)
    # the optimised variant skips inactive followers; the naive one writes to all
    expected = {"optimised": sum(_active_sizes()), "naive": everyone}
    assert 0 < expected["optimised"] < everyone
    for name, figures in (("optimised", result), ("naive", result["naive"])):
        assert figures["complete"] is True
        assert figures["feed_entries"] == figures["expected_entries"] == expected[name]
        assert figures["duplicate_writes"] == 0
        assert set(figures["post_to_feed_ms"]) == {"p50", "p95", "p99"}


def test_the_inactive_followers_savings_are_the_skipped_entries(result):
    graph = build_graph(SETTINGS)
    everyone = sum(len(graph.followers[a]) for a in graph.posts)
    saved = everyone - sum(_active_sizes())
    inactive = result["inactive"]
    assert (inactive["entries_skipped"], inactive["write_units_saved"]) == (saved, saved)
    assert inactive["entries_written"] == everyone - saved
    calls = inactive["batch_write_calls"]
    assert (
        calls["measured"] == calls["with_skip"] == sum(math.ceil(n / 25) for n in _active_sizes())
    )
    lookups = inactive["activity_lookups"]
    reached = sum(1 for a in graph.posts if graph.followers[a])
    assert lookups["batch_get_calls_measured"] == lookups["batch_get_calls"] == reached


def test_the_optimised_write_path_makes_exactly_the_calls_its_posts_need(result):
    graph = build_graph(SETTINGS)
    sizes = [len(graph.followers[a]) for a in graph.posts]
    posts, reached = len(sizes), sum(1 for n in sizes if n)
    writes = sum(math.ceil(n / 25) for n in _active_sizes())
    # one PutRecord and one Query page each, and one counting Query each (no author here
    # has a follower range's worth of followers); one PublishBatch per post with followers
    # (every group fits one message) and one per post to each of the notifications and
    # archive groups; one BatchGetItem of last reads per group (at most 100 followers),
    # 25 active followers' entries per BatchWriteItem; the dispatcher reads its progress
    # item once per post and writes it after each feed PublishBatch, reads the author's
    # follower count once per post (hybrid fan-out), and stores each post once (a
    # conditional PutItem on the posts table); each feed message's worker reads the
    # post's tombstone first (one Query), so a write after its delete writes nothing,
    # and asks the mutes table once (its muted_by index over the group's id range). A
    # capped feed's trims, drawn by a hash of the random yubl ids, are counted apart
    # (Feeds.Query; their share is pinned in tests/unit/test_feed_cap.py). Accounts: the
    # dispatcher reads each post's author's status once (one BatchGetItem of the users
    # table), and the archive worker, per object it writes (S3 PutObject), reads its
    # authors' statuses and indexes them (one BatchWriteItem of the archive index)
    write_path = dict(result["aws_requests"]["write_path"])
    write_path.pop("Feeds.Query", None)
    archived = result["aws_requests"]["other"]["PutObject"]
    assert 1 <= archived <= 2 * posts  # the archive's batches: as the queue hands them out
    assert write_path == {
        "PutRecord": posts,
        "Query": 2 * posts + 2 * reached,
        "PublishBatch": reached + 2 * posts,
        "BatchGetItem": reached,
        "BatchWriteItem": writes,
        "Accounts.BatchGetItem": posts + archived,
        "Accounts.BatchWriteItem": archived,
        "GetItem": 2 * posts,
        "PutItem": reached + posts,  # progress items, and each post stored once
    }
    assert result["floor"] == {
        "PutRecord": posts,
        "Query": posts,
        "PublishBatch": reached + 2 * posts,
        "BatchGetItem": reached,
        "BatchWriteItem": writes,
    }
    floor_calls = 2 * posts + reached + 2 * posts + reached + writes
    assert result["floor_per_1000_entries"] == round(floor_calls * 1000 / sum(_active_sizes()), 1)
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
    # follower groups of 20 in one PublishBatch, each group's worker reading the post's
    # tombstone first (one Query each), 25 entries per BatchWriteItem
    assert write["push"]["by_operation"] == {
        "PutItem": 1,
        "GetItem": 1,
        "Query": 1 + 2,
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
    # (exact: FEEDS_TABLE is never set in this process, where counting.py would name the
    # feed Queries Feeds.Query; tests/conftest.py fails a fixture that leaves it set)
    assert pages[0]["plain_page"]["by_operation"] == {"Query": 1, "BatchGetItem": 1}
    assert pages[0]["merged_first_page"]["by_operation"] == {"Query": 3, "BatchGetItem": 1}
    assert pages[2]["merged_first_page"]["by_operation"]["Query"] == 5


def _kb_units(*attributes: tuple[str, str]) -> int:
    """DynamoDB's write rule: one unit per started KB of attribute names + UTF-8 values."""
    return math.ceil(sum(len(n) + len(v.encode()) for n, v in attributes) / 1024)


def test_a_reference_entry_costs_one_write_unit_and_the_text_in_it_cost_more(result):
    # the bench's ids: author "entry-units-" + 6 hex digits, readers author + "-r0000",
    # yubl ids of 13 + 1 + 12 characters, posted_at like 2026-01-01T00:00:00.000Z
    author, reader = "entry-units-abcdef", "entry-units-abcdef-r0000"
    yubl_id, posted_at = "1767225600000-0123456789ab", "2026-01-01T00:00:00.000Z"
    ids = [("user_id", reader), ("yubl_id", yubl_id), ("author_id", author)]
    found = result["entry_write_units"]
    assert found["entries_per_shape"] == 50
    expected = {}
    for length in (100, 2_000):
        for name, text in ((str(length), "x" * length), (f"{length}_multibyte", "é" * length)):
            expected[name] = {
                "text_in_entry": _kb_units(*ids, ("text", text), ("posted_at", posted_at)),
                "reference": _kb_units(*ids, ("posted_at", posted_at)),
                "post_once": _kb_units(*ids[1:], ("text", text), ("posted_at", posted_at)),
            }
            assert found[name] == expected[name]
    # 124-byte references; the old entries of 2,000 characters: 2,128 bytes, 4,128 in é
    assert {n: (e["text_in_entry"], e["reference"]) for n, e in expected.items()} == {
        "100": (1, 1),
        "2000": (3, 1),
        "100_multibyte": (1, 1),
        "2000_multibyte": (5, 1),
    }
