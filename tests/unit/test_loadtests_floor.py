"""The benchmark's floor: the fewest write-path calls the AWS batch limits allow."""

from __future__ import annotations

from loadtests.floor import PostShape, floor_formula, post_floor, run_floor


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


def test_the_formula_is_stated_as_text_with_every_operation():
    text = floor_formula()
    for operation in (
        "PutRecord",
        "Query",
        "PublishBatch",
        "BatchWriteItem",
        "BatchGetItem",
        "GetItem",
    ):
        assert f"  {operation} " in text


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
