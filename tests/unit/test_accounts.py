"""Who exists, on the twins: the rows' one condition on every path, the public profile,
the sign-in gate's cache bound, the sign-up triggers, the ``user-deleted`` event."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.adapters.accounts_memory import InMemoryUserStore
from chalicelib.domain.accounts import (
    Account,
    UserDeleted,
    parse_user_deleted,
    parse_user_deleted_message,
    user_deleted_event,
    user_deleted_message,
)
from chalicelib.domain.errors import InvalidInput
from chalicelib.identity.post_confirmation import record_confirmed
from chalicelib.identity.pre_sign_up import UsernameRefused, check_sign_up
from chalicelib.services.account_gate import AccountGate

from .accounts_world import World

NOW = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)
FIRST = "2026-01-01T00:00:00.000Z"


class Monotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _confirmed(user: str, source: str = "PostConfirmation_ConfirmSignUp") -> dict:
    return {"userName": user, "triggerSource": source, "request": {"userAttributes": {}}}


def test_the_trigger_twice_keeps_created_at_and_a_deleted_account_stays_deleted():
    users = InMemoryUserStore()
    event = _confirmed("ann")
    assert record_confirmed(event, users.register, NOW) == event  # Cognito's answer: go on
    later = datetime(2026, 12, 1, tzinfo=UTC)
    record_confirmed(
        _confirmed("ann", "PostConfirmation_ConfirmForgotPassword"), users.register, later
    )
    assert users.rows["ann"] == Account("ann", "2026-11-23T15:30:00.000Z")
    users.mark_deleted("ann", "2026-11-30T00:00:00.000Z")
    record_confirmed(
        _confirmed("ann", "PostConfirmation_ConfirmForgotPassword"), users.register, later
    )
    assert (users.rows["ann"].status, users.rows["ann"].created_at) == (
        "deleted",
        "2026-11-23T15:30:00.000Z",
    )


def test_a_confirmed_username_outside_the_id_format_gets_no_row_and_does_not_fail():
    users = InMemoryUserStore()
    assert record_confirmed(_confirmed("has space"), users.register, NOW)["userName"] == "has space"
    assert users.rows == {}


def test_pre_sign_up_refuses_a_deleted_accounts_id_and_lets_any_other_through():
    users = InMemoryUserStore(["ann", "bob"])
    users.mark_deleted("bob", FIRST)

    def deleted(user: str) -> bool:
        account = users.get(user)
        return account is not None and not account.active

    assert check_sign_up({"userName": "ann"}, deleted) == {"userName": "ann"}
    assert check_sign_up({"userName": "new"}, deleted) == {"userName": "new"}
    with pytest.raises(UsernameRefused, match="username 'bob' belonged to a deleted account"):
        check_sign_up({"userName": "bob"}, deleted)


def test_the_gate_refuses_a_deleted_accounts_token_within_the_cache_bound_and_not_before():
    users = InMemoryUserStore(["ann"])
    clock = Monotonic()
    other_container = AccountGate(users, cache_seconds=30, monotonic=clock)
    assert other_container.admits("ann")
    # WHEN ann deletes her account through another container
    users.mark_deleted("ann", FIRST)
    # THEN this one still answers from its cache until the bound, and refuses from then on
    clock.now += 29.9
    assert other_container.admits("ann")
    clock.now += 0.1
    assert not other_container.admits("ann")
    assert users.gets == 2  # one read per bound, not one per request


def test_the_container_that_served_the_delete_refuses_at_once_and_for_good():
    world = World()
    world.signed_up("ann")
    assert world.gate.admits("ann")
    world.account.delete("ann")
    reads = world.users.gets
    assert not world.gate.admits("ann")
    assert world.users.gets == reads  # a deleted account's answer is kept, never read again


def test_a_signed_in_user_without_a_row_gets_one_and_a_zero_cache_reads_every_time():
    users = InMemoryUserStore()
    gate = AccountGate(users, cache_seconds=0, clock=lambda: NOW)
    assert gate.admits("late")  # the trigger failed: the first request writes the row
    assert users.rows["late"] == Account("late", "2026-11-23T15:30:00.000Z")
    assert gate.admits("late") and users.gets == 2


def test_a_row_written_deleted_between_the_gates_read_and_insert_is_refused():
    class DeletedMeanwhile(InMemoryUserStore):
        def register(self, user_id: str, created_at: str) -> bool:
            self.mark_deleted(user_id, FIRST)  # a DELETE won the race
            return super().register(user_id, created_at)

    assert not AccountGate(DeletedMeanwhile(), cache_seconds=30).admits("raced")


def test_the_profile_shows_created_at_and_the_exact_follower_count():
    world = World()
    world.signed_up("ann", "bob", "cat")
    world.following.follow("ann", "bob")
    world.following.follow("ann", "cat")
    world.following.follow("ann", "cat")  # a repeat counts once
    world.following.unfollow("ann", "bob")
    profile = world.account.profile("ann")
    assert (profile.user_id, profile.created_at, profile.followers) == ("ann", FIRST, 1)


def test_a_delete_disables_signs_out_marks_and_announces_once_per_account():
    world = World()
    world.signed_up("ann")
    deleted = world.account.delete("ann")
    assert deleted == UserDeleted("ann", "2026-11-23T15:30:00.000Z")
    assert world.pool.disabled == {"ann"}
    assert world.stream.published == [("ann", user_deleted_event(deleted))]
    assert user_deleted_event(deleted) == {
        "type": "user-deleted",
        "user": {"user_id": "ann", "deleted_at": "2026-11-23T15:30:00.000Z"},
    }
    assert deleted.event_id == "user-deleted:ann"


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        ([], "event: must be a JSON object"),
        ({"type": "user-posted"}, "type: must be 'user-deleted', got 'user-posted'"),
        ({"type": "user-deleted", "user": "ann"}, "user: must be an object"),
        (
            {"type": "user-deleted", "user": {"user_id": "a b", "deleted_at": FIRST}},
            "user.user_id: must be 1-64 characters of A-Z, a-z, 0-9, '_' or '-'",
        ),
        (
            {
                "type": "user-deleted",
                "user": {"user_id": "ann", "deleted_at": "2027-01-01T00:00:00Z"},
            },
            "user.deleted_at: is in the future",
        ),
    ],
)
def test_a_bad_user_deleted_event_is_invalid_input_naming_the_field(payload, error):
    with pytest.raises(InvalidInput) as caught:
        parse_user_deleted(payload, now=NOW)
    assert str(caught.value).startswith(error)


def test_the_accounts_groups_message_carries_the_event_id_and_is_checked_for_it():
    message = user_deleted_message(UserDeleted("ann", FIRST))
    assert parse_user_deleted_message(message, now=NOW) == UserDeleted("ann", FIRST)
    with pytest.raises(InvalidInput, match="event_id: must be 'user-deleted:ann'"):
        parse_user_deleted_message({**message, "event_id": "user-deleted:bob"}, now=NOW)
