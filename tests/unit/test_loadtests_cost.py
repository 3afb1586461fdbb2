"""The cost model's arithmetic on a hand-made benchmark result, and the percentiles."""

from __future__ import annotations

from loadtests.cost import load_pricing, variant_cost
from loadtests.feedlog import percentiles


def _figures(posts: int, entries: int, calls: dict[str, int], messages: int) -> dict:
    return {
        "posts": posts,
        "feed_entries": entries,
        "aws_requests": {"write_path": calls},
        "shape": {
            "record_bytes": 300,
            "feed_item_bytes": 242,
            "message_envelope_bytes": 300,
            "follower_bytes": 10,
            "relationship_bytes": 4096 * 3,
            "messages": messages,
        },
    }


def test_dynamodb_writes_and_sns_publishes_per_million_posts():
    # GIVEN 10 posts to 100 followers each: 1,000 entries of one write unit, 10 batches
    figures = _figures(
        10, 1_000, {"PublishBatch": 10, "BatchWriteItem": 40, "PutItem": 10, "GetItem": 10}, 10
    )
    cost = variant_cost(figures, load_pricing(), naive=False)
    # THEN (1,000 entries + 10 progress items) x $0.625 per million units, per 10 posts
    assert cost["dynamodb_writes"] == round(1_010 * 0.625 / 1e6 * 1e6 / 10, 2)
    # AND 10 PublishBatch calls of 13,000 bytes each: one 64 KiB chunk each
    assert cost["sns_publishes"] == round(10 * 0.50 / 1e6 * 1e6 / 10, 2)
    # AND one PUT payload unit per post
    assert cost["kinesis_put_units"] == round(0.014 / 1e6 * 1e6, 2)


def test_the_naive_variant_is_priced_for_the_given_followers_per_post():
    # GIVEN a naive run of 2 posts to 50 followers, priced for 100 followers a post
    figures = _figures(2, 100, {"Publish": 100, "PutItem": 100, "Query": 2}, 100)
    cost = variant_cost(figures, load_pricing(), naive=True, followers_per_post=100)
    # THEN per-entry items double, per-post items do not
    assert cost["dynamodb_writes"] == round(100 * 0.625 / 1e6 * 1e6 / 2 * 2, 2)
    assert cost["sns_publishes"] == round(100 * 0.50 / 1e6 * 1e6 / 2 * 2, 2)
    assert cost["kinesis_put_units"] == round(0.014, 2)


def test_percentiles_are_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert percentiles(values) == {"p50": 50.0, "p95": 95.0, "p99": 99.0}
    assert percentiles([]) == {}
