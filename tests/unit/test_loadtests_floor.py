"""The benchmark's floor: the fewest write-path calls the AWS batch limits allow."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

from loadtests.bench_stack import Setup
from loadtests.floor import PostShape, floor_formula, post_floor, run_floor
from loadtests.graph import FollowerGraph
from loadtests.runs import _shapes


def test_a_post_to_26_followers_needs_two_batch_writes_and_one_of_everything_else():
    # GIVEN 26 followers: one over BatchWriteItem's 25
    post = PostShape("alice", [f"f{i:02d}" for i in range(26)], envelope_bytes=300)
    # THEN one Query page of followers and one of the author's muters, one message (one
    # PublishBatch, one tombstone GetItem), two BatchWriteItem
    assert post_floor(post) == {
        "PutRecord": 1,
        "Query": 2,
        "PublishBatch": 1,
        "BatchWriteItem": 2,
        "GetItem": 1,
    }


def test_a_post_whose_followers_are_all_skipped_reads_no_tombstone():
    # GIVEN 150 followers, none of them active
    post = PostShape("alice", [f"f{i:03d}" for i in range(150)], 300, writes=0)
    # THEN two lookups of 100 keys and nothing written, so no tombstone to read
    assert post_floor(post) == {"PutRecord": 1, "Query": 2, "PublishBatch": 1, "BatchGetItem": 2}


def test_a_post_to_no_one_still_reads_its_followers_once():
    assert post_floor(PostShape("alice", [], envelope_bytes=300)) == {"PutRecord": 1, "Query": 1}


def test_query_pages_hold_one_mebibyte_of_relationship_items():
    # GIVEN followers whose items are exactly 1 KiB: 7 + 5 ("alice") + 11 + 1001
    followers = [f"{i:04d}" + "x" * 997 for i in range(1025)]
    post = PostShape("alice", followers, envelope_bytes=300)
    # THEN 1025 KiB of items: two 1 MiB pages, and the muters' Query
    assert post_floor(post)["Query"] == 2 + 1


def test_publish_batches_hold_256_kib_of_follower_ids():
    # GIVEN 100 ids of 2,000 characters: each costs 2,003 bytes in a message's JSON list
    followers = [f"{i:03d}" + "y" * 1997 for i in range(100)]
    post = PostShape("alice", followers, envelope_bytes=144)
    # THEN 200,300 bytes fit one batch (262,144 - 144 of room); 200 ids need two
    assert post_floor(post)["PublishBatch"] == post_floor(post)["GetItem"] == 1
    double = PostShape("alice", followers + [f"b{i:03d}" + "y" * 1996 for i in range(100)], 144)
    # AND each message is one tombstone read
    assert post_floor(double)["PublishBatch"] == post_floor(double)["GetItem"] == 2


def test_run_floor_adds_the_posts_up():
    posts = [
        PostShape("a", [f"f{i}" for i in range(50)], 300),
        PostShape("b", [f"f{i}" for i in range(51)], 300),
    ]
    assert run_floor(posts) == {
        "PutRecord": 2,
        "Query": 4,
        "PublishBatch": 2,
        "BatchWriteItem": 5,
        "GetItem": 2,
    }


def test_the_formula_reads_each_term_with_the_limits_it_counts_by():
    assert floor_formula() == (
        "per post: PutRecord = 1; "
        "Query = max(1, ceil(relationship item bytes / 1,048,576))"
        " + 1 for the author's muters (a post with followers); "
        "PublishBatch = ceil(follower id bytes / (262,144 - envelope bytes))"
        " + one per other subscriber group; "
        "BatchWriteItem = ceil(entries written / 25); "
        "BatchGetItem = ceil(followers / 100) when inactive followers are skipped; "
        "GetItem = one per feed message at SNS's limits (the tombstone), when entries are written"
    )


def test_every_operation_the_floor_counts_has_its_term_in_the_formula():
    # GIVEN a post with a call of every kind: followers, other groups, skipped followers
    post = PostShape("alice", [f"f{i}" for i in range(30)], 300, event_groups=2, writes=12)
    # WHEN
    counted = post_floor(post)
    # THEN 1 + (1 + 1 muters) + (1 + 2) + ceil(12 / 25) + ceil(30 / 100) + 1 tombstone,
    # each named in the formula
    assert counted == {
        "PutRecord": 1,
        "Query": 2,
        "PublishBatch": 3,
        "BatchWriteItem": 1,
        "BatchGetItem": 1,
        "GetItem": 1,
    }
    terms = floor_formula().removeprefix("per post: ").split("; ")
    named = {term.split(" = ")[0] for term in terms}
    assert named == set(counted)


def test_a_runs_floor_has_lookups_only_when_the_workers_look_followers_up():
    # GIVEN one post to 150 followers, 26 of them inactive
    followers = [f"f{i:03d}" for i in range(150)]
    graph = FollowerGraph(followers={"alice": followers}, posts=["alice"])
    log: Any = SimpleNamespace(author_of={"y1": "alice"})

    def floor(looks_up: bool) -> dict[str, int]:
        setup = Setup(
            stack=cast(Any, None),
            graph=graph,
            counts_dir=Path("."),
            raw=None,
            inactive=set(followers[:26]),
            inactive_percent=17,
            small_max_followers=1000,
            looks_up=looks_up,
        )
        (shape,) = _shapes(setup, log, {"y1": "2026-12-07T23:00:00.000Z"}, "x")
        return post_floor(shape)

    # THEN with lookups: two BatchGetItem of 100 keys, and 124 entries in 5 BatchWriteItem
    looked_up = floor(looks_up=True)
    assert (looked_up["BatchGetItem"], looked_up["BatchWriteItem"]) == (2, 5)
    # and with FANOUT_ACTIVE_DAYS=0 (nobody looked up, everyone written): no lookups,
    # 150 entries in 6 BatchWriteItem
    written_to_all = floor(looks_up=False)
    assert "BatchGetItem" not in written_to_all
    assert written_to_all["BatchWriteItem"] == 6
