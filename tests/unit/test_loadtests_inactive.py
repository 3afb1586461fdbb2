"""The benchmark's inactive-follower figures (loadtests.inactive.savings): the lookups the
skip costs are modelled only when the workers look followers up.

With ``FANOUT_ACTIVE_DAYS=0`` the workers skip nobody and look nobody up; the figures
once still priced 100-key lookups for every follower beside ``batch_get_calls_measured:
0``. Checked to fail: the model without ``looks_up`` gave 3 calls and 250 keys here.
"""

from __future__ import annotations

from loadtests.graph import FollowerGraph
from loadtests.inactive import savings

PRICES = {
    "dynamodb_per_million_write_request_units": 0.625,
    "dynamodb_per_million_read_request_units": 0.125,
}
# one post to 250 followers, in groups of 100: 100, 100 and 50 followers
GRAPH = FollowerGraph(followers={"a": [f"f{i:03d}" for i in range(250)]}, posts=["a"])
MEASURED = {"entries_written": 250, "entries_skipped": 0, "batch_write_calls": 10}


def test_without_lookups_no_lookup_is_modelled_or_priced():
    figures = savings(GRAPH, set(), 0, 100, MEASURED | {"batch_get_calls": 0}, PRICES, False)
    assert figures["activity_lookups"] == {
        "looks_up": False,
        "batch_get_calls_measured": 0,
        "batch_get_calls": 0,
        "keys": 0,
        "read_units": 0.0,
    }
    assert figures["usd_per_million_posts"] == {
        "writes_saved": 0.0,
        "lookups_cost": 0.0,
        "net_saved": 0.0,
    }


def test_with_lookups_every_follower_is_looked_up_100_keys_a_call():
    inactive = {f"f{i:03d}" for i in range(0, 250, 5)}  # 50 of 250
    figures = savings(GRAPH, inactive, 20, 100, MEASURED | {"batch_get_calls": 3}, PRICES)
    # groups of 100, 100 and 50: one call each; 250 keys at half a read unit
    assert figures["activity_lookups"] == {
        "looks_up": True,
        "batch_get_calls_measured": 3,
        "batch_get_calls": 3,
        "keys": 250,
        "read_units": 125.0,
    }
    # 50 write units saved at $0.625 a million, 125 read units at $0.125 a million
    assert figures["usd_per_million_posts"] == {
        "writes_saved": 31.25,
        "lookups_cost": 15.62,
        "net_saved": 15.62,
    }
