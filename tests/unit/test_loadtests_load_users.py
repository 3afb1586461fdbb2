"""Whom the Locust scenario's users follow (loadtests/load_users.py)."""

from __future__ import annotations

from loadtests.load_users import others


def test_a_user_never_follows_itself():
    # the API answers 400 to a user following themselves, which Locust counted as a failure
    assert others(3, 5) == [0, 1, 2, 4]


def test_a_user_outside_the_pool_may_follow_all_of_it():
    assert others(7, 5) == [0, 1, 2, 3, 4]


def test_a_pool_of_only_the_user_leaves_no_one():
    assert others(0, 1) == []
