"""Deleting an account on the twins: what is gone afterwards, counted over whole tables;
every other user's counts; range workers; the follow race; crashes; late events."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from chalicelib.adapters.accounts_memory import InMemoryUserStore
from chalicelib.domain.accounts import Account, UserDeleted, user_deleted_message
from chalicelib.domain.errors import NotFound, PermanentFailure
from chalicelib.domain.relationships_events import relationship_change, relationship_event
from chalicelib.services.account_deletion import ALREADY_ERASED, ERASED, OUT_OF_TIME, WAITING
from chalicelib.services.archive_erasure import erasure_key

from .accounts_world import DELAY, World

GONE = "gone"
FOLLOWERS = [f"f{i:03d}" for i in range(200)]
INACTIVE = FOLLOWERS[:30]  # no feed read for 90 days: the fan-out skips them
MUTERS = FOLLOWERS[30:50]  # follow gone, and mute them: their feeds never get the posts
FOLLOWED = ["a0", "a1", "a2", "a3", "a4"]
NOTHING_LEFT = {
    "feed entries of their posts": 0,
    "their feed": 0,
    "relationships": 0,
    "mutes": 0,
    "notifications": 0,
    "archive lines": 0,
    "archive index": 0,
    "exports": 0,
    "live posts": 0,
}


@dataclass
class Scene:
    world: World
    others_before: dict[str, int]


def _scene(posts: int = 10, range_size: int = 10_000, priority_max: int | None = None) -> Scene:
    """gone: 200 followers (30 inactive, 20 muting them), ``posts`` posts (every other one
    mentioning f100), follows five authors (each with two more followers), mutes a0 and
    a1, was mentioned by a0, has an export; the world delivered."""
    lanes = {} if priority_max is None else {"priority_max": priority_max}
    world = World(range_size=range_size, **lanes)
    world.signed_up(GONE, *FOLLOWERS, *FOLLOWED, "x0", "x1")
    for follower in FOLLOWERS:
        world.following.follow(GONE, follower)
    for muter in MUTERS:
        world.muting.mute(muter, GONE)
    world.activity.reads.update({u: "2026-08-01T00:00:00Z" for u in INACTIVE})
    for author in FOLLOWED:
        world.following.follow(author, GONE)
        world.following.follow(author, "x0")
        world.following.follow(author, "x1")
    world.muting.mute(GONE, "a0")
    world.muting.mute(GONE, "a1")
    for n in range(posts):
        world.post(GONE, f"post {n}" + (" hi @f100" if n % 2 == 0 else ""))
    world.post("a0", f"hello @{GONE}")
    world.dispatch()
    world.deliver()
    world.export_writer.write(world.export.request(GONE).__dict__ | {"type": "export-requested"})
    others = {user: world.followers.follower_count(user) for user in FOLLOWED}
    return Scene(world, others)


def _delete(world: World) -> list:
    """The DELETE, then the stream and every worker until the deletion waits or ends."""
    world.account.delete(GONE)
    world.dispatch()
    return world.deliver()


def test_the_scene_holds_what_the_deletion_must_remove():
    scene = _scene()
    world = scene.world
    rows = world.rows_of(GONE)
    # 150 active followers not muting x 10 posts; the feed backfill of 5 follows x 0 posts
    assert rows["feed entries of their posts"] == 150 * 10
    assert rows["relationships"] == 200 + 5
    assert rows["mutes"] == 20 + 2
    assert rows["notifications"] == 1 + 5  # a0's mention of them; their 5 mentioning f100
    assert rows["archive lines"] == 10
    assert rows["exports"] == 1
    assert scene.others_before == {a: 3 for a in FOLLOWED}


def test_after_a_deletion_no_row_of_theirs_is_left_and_every_other_count_is_right():
    scene = _scene()
    world = scene.world
    runs = _delete(world)
    # THEN the posts went first, through the delete fan-out, and the rest waits
    assert [(r.outcome, r.posts) for r in runs] == [(WAITING, 10)]
    assert runs[0].wait_seconds == DELAY.total_seconds()
    assert world.rows_of(GONE)["feed entries of their posts"] == 0
    assert world.rows_of(GONE)["live posts"] == 0
    assert world.rows_of(GONE)["relationships"] == 205  # not yet: after the wait
    # WHEN the wait is over
    [done] = world.run_delayed()
    assert done.outcome == ERASED
    assert world.rows_of(GONE) == NOTHING_LEFT
    assert {a: world.followers.follower_count(a) for a in FOLLOWED} == {a: 2 for a in FOLLOWED}
    assert world.followers.follower_count("f100") == 0
    assert world.rows_of("f100")["notifications"] == 0  # their mentions of f100 removed too
    assert world.activity_rows.rows == set() and world.author_rows.rows == set()
    account = world.users.rows[GONE]
    assert (account.status, account.erased_at is not None) == ("deleted", True)
    assert world.pool.disabled == {GONE} and world.pool.signed_out[GONE] == 1
    [record] = world.archive.objects[erasure_key(GONE)]
    assert '"removed":{"archive_objects":' in record and '"followers":200' in record
    assert "post 1" not in record  # counts and times, no content


def test_deletes_fanned_out_by_range_workers_that_run_after_the_relationships_went():
    # GIVEN an account with four ranges' worth of followers, whose first 50 (the
    # dispatcher's head: all inactive or muting, so without entries) go out directly and
    # the other 150 through the range workers
    scene = _scene(posts=3, range_size=50, priority_max=50)
    world = scene.world
    world.account.delete(GONE)
    world.dispatch()
    # WHEN the range workers of its post deletes are late: they run after phase 2
    runs = world.deliver(ranges=False)
    runs += world.run_delayed()
    assert [r.outcome for r in runs] == [WAITING, ERASED]
    assert runs[-1].removed["swept_entries"] == 150 * 3
    world.deliver()  # the late range workers: they find no followers left
    # THEN phase 2 cleared each follower's feed before its relationship went
    assert world.rows_of(GONE) == NOTHING_LEFT


def test_a_follow_and_a_mute_accepted_inside_the_window_do_not_outlive_it():
    scene = _scene(posts=1)
    world = scene.world

    stale = dict(world.users.rows)  # what a read made just before the mark answers

    class Racing(InMemoryUserStore):
        """The checks of x0's follow and x1's mute read the account as active (the second
        read lags the mark); the deletion runs right after the first, before either
        relationship or mute is written."""

        def accounts(self, user_ids, consistent=False):
            if world.users.rows[GONE].active:
                _delete(world)
            return {u: stale[u] for u in user_ids if u in stale}

    world.following._accounts = world.muting._accounts = Racing()
    world.following.follow(GONE, "x0")
    world.muting.mute("x1", GONE)
    assert world.followers.follows(GONE, "x0") and ("x1", GONE) in world.mutes.mutes
    world.run_delayed()
    assert world.rows_of(GONE) == NOTHING_LEFT
    assert world.following.following("x0", 100, None).items == FOLLOWED


def test_a_follow_or_mute_naming_a_deleted_or_unknown_user_is_404_naming_the_field():
    scene = _scene(posts=0)
    world = scene.world
    _delete(world)
    with pytest.raises(NotFound, match="user_id: user gone deleted their account"):
        world.following.follow(GONE, "x0")
    with pytest.raises(NotFound, match="follower_id: no user nobody"):
        world.following.follow("x0", "nobody")
    with pytest.raises(NotFound, match="author_id: user gone deleted their account"):
        world.muting.mute("x1", GONE)
    with pytest.raises(NotFound, match="user_id: no user nobody"):
        world.muting.mute("nobody", "x1")
    with pytest.raises(NotFound, match="user_id: no user gone"):
        world.account.profile(GONE)


class Crash(RuntimeError):
    """The process died here."""


def _crash_once(target: object, name: str, on_call: int) -> None:
    """``target.name`` raises ``Crash`` on its ``on_call``-th call, once."""
    real, calls = getattr(target, name), [0]

    def crashing(*args, **kwargs):
        calls[0] += 1
        if calls[0] == on_call:
            raise Crash(f"{name} #{on_call}")
        return real(*args, **kwargs)

    setattr(target, name, crashing)


@pytest.mark.parametrize(
    ("where", "name", "on_call"),
    [
        ("distribution", "distribute", 4),  # mid posts: the 4th post's delete fan-out
        ("progress", "record_published", 8),  # a post fanned out, its progress not saved
        ("relationship_rows", "delete_keys", 2),  # mid phase 2: their second 100 followers
        ("followers", "remove", 3),  # the third of the users they follow (its count)
        ("feeds", "page", 1),  # their own feed, before it is cleared
        ("index", "remove", 1),  # an archive object rewritten, its index row not removed
    ],
)
def test_a_crash_anywhere_then_the_retry_reaches_the_same_end(where, name, on_call):
    scene = _scene()
    world = scene.world
    world.account.delete(GONE)
    world.dispatch()
    _crash_once(getattr(world, where), name, on_call)
    pending = world.groups.group("accounts").messages  # as the accounts queue holds them
    outcomes, crashes = [], 0
    while pending:
        message = pending.pop(0)
        try:
            run = world.deletion.run(message)
        except Crash:
            crashes += 1
            pending.append(message)  # the failure policy runs the same message again
            continue
        outcomes.append(run.outcome)
        world.deliver(accounts=False)
        if run.outcome == WAITING:
            later, delay, _ = world.accounts_queue.sent.pop(0)
            world.clock.advance(delay)
            pending.append(later)
    assert (crashes, outcomes[-1]) == (1, ERASED)
    assert world.rows_of(GONE) == NOTHING_LEFT
    assert {a: world.followers.follower_count(a) for a in FOLLOWED} == {a: 2 for a in FOLLOWED}
    assert world.followers.follower_count("f100") == 0 and len(world.archive.objects) == 2


def test_out_of_time_it_stops_between_posts_and_the_next_run_goes_on():
    scene = _scene()
    world = scene.world
    world.account.delete(GONE)
    world.dispatch()
    [message] = world.groups.group("accounts").messages
    asked = [0]

    def after_three_posts() -> bool:
        asked[0] += 1
        return asked[0] > 3

    first = world.deletion.run(message, out_of_time=after_three_posts)
    assert (first.outcome, first.posts) == (OUT_OF_TIME, 3)
    again = world.deletion.run(message)
    assert (again.outcome, again.posts) == (WAITING, 7)  # the other seven, none twice
    world.deliver()
    world.run_delayed()
    assert world.rows_of(GONE) == NOTHING_LEFT


def test_a_second_delete_answers_the_same_and_a_repeated_event_changes_nothing():
    scene = _scene(posts=2)
    world = scene.world
    first = world.account.delete(GONE)
    world.clock.advance(5)
    again = world.account.delete(GONE)
    assert again == first
    world.dispatch()
    world.deliver()
    world.run_delayed()
    message = user_deleted_message(first)
    assert world.deletion.run(message).outcome == ALREADY_ERASED
    assert world.pool.signed_out[GONE] == 2  # each DELETE signs out again: harmless


def test_events_about_the_deleted_account_that_arrive_later_change_nothing_and_say_why():
    scene = _scene(posts=1)
    world = scene.world
    _delete(world)
    world.run_delayed()
    # a post and a follow published before the deletion, read after it
    late_post = world.post(GONE, "sent just before")
    change = relationship_change("user-followed", GONE, "x0", world.clock())
    world.stream.publish(relationship_event(change), "x0")
    reasons = world.dispatch()
    deleted_at = world.users.rows[GONE].deleted_at
    assert reasons == [
        f"the author gone deleted their account at {deleted_at}",
        f"the followed user gone deleted their account at {deleted_at}",
    ]
    assert world.deliver() == []
    assert (GONE, late_post.yubl_id) not in world.posts.posts
    assert world.rows_of(GONE) == NOTHING_LEFT


def test_a_user_deleted_event_for_an_account_not_marked_deleted_is_refused_for_good():
    world = World()
    world.signed_up("alive")
    message = user_deleted_message(UserDeleted("alive", "2026-11-23T15:30:00.000Z"))
    with pytest.raises(PermanentFailure, match="the account of alive is not marked deleted"):
        world.deletion.run(message)
    assert world.users.rows["alive"] == Account("alive", "2026-01-01T00:00:00.000Z")
