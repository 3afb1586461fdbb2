"""The fan-out's races on the emulator: a delete during the fan-out, a mute during it.

Through the app's own handlers (``app_flow``: stream -> dispatcher, topics -> workers in
an order the test chooses), and, for the one interleaving no message order can reach (a
delete between a worker's writes and its tombstone read), the worker's service over the
real tables. Feed rows are read from the table itself, not only through the API, which
hides deleted posts and muted authors anyway.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from chalice.test import Client

from chalicelib import wiring
from chalicelib.adapters.dynamodb_models import bind_feed_model, bind_post_model
from chalicelib.adapters.dynamodb_stores import DynamoFeedStore, DynamoPostStore
from chalicelib.domain.delete_messages import removal_message
from chalicelib.domain.deletes import yubl_deleted
from chalicelib.domain.fanout import group_message
from chalicelib.domain.posts import new_yubl
from chalicelib.services.feeds import FeedService
from chalicelib.services.removals import RemovalService

from .app_flow import Flow, feed_ids, follow, rows

pytestmark = pytest.mark.emulator


@contextmanager
def _calls(store: Any) -> Iterator[Counter[str]]:
    """The calls a store's table client makes inside the block, by operation; a GetItem
    counted as ``GetItem(consistent)`` when it asks for a strongly consistent read."""
    client = store._model._get_connection().connection.client
    calls: Counter[str] = Counter()

    def count(model: Any, params: Any, **_: Any) -> None:
        consistent = model.name == "GetItem" and params.get("ConsistentRead") is True
        calls[f"{model.name}(consistent)" if consistent else model.name] += 1

    client.meta.events.register("before-parameter-build.dynamodb.*", count)
    try:
        yield calls
    finally:
        client.meta.events.unregister("before-parameter-build.dynamodb.*", count)


def _post(client: Client, author: str, headers: dict[str, str], text: str) -> str:
    response = client.http.post(
        "/yubls",
        headers={**headers, "Content-Type": "application/json"},
        body=json.dumps({"text": text}),
    )
    assert response.status_code == 202
    return str(json.loads(response.body)["yubl_id"])


def _kind(message: tuple[str, dict[str, Any]]) -> str:
    function, body = message
    return f"{function}:{json.loads(body['Body'])['type']}"


# -- a delete during the fan-out ----------------------------------------------------------


@pytest.mark.parametrize("first", ["removal", "write"])
def test_a_delete_during_the_fan_out_leaves_no_row_whichever_message_runs_first(
    app_client, unique, signed_in, account, first
):
    # GIVEN a post to three followers, planned by the dispatcher, not yet written
    author = account(f"{unique}-a")
    followers = [f"{unique}-f{i}" for i in range(3)]
    flow = Flow(app_client, author, unique)
    for follower in followers:
        follow(app_client, author, follower, signed_in(follower))
    yubl_id = _post(app_client, author, signed_in(author), "soon gone")
    assert flow.dispatch(author, *followers) == 4
    post = [m for m in flow.pending() if m[0] != "notify_mentioned"]
    assert [_kind(m) for m in post] == ["add_to_feed_priority:feed-fanout"]
    # AND its delete read by the dispatcher meanwhile: the tombstone, the removal planned
    deleted = app_client.http.delete(f"/users/{author}/yubls/{yubl_id}", headers=signed_in(author))
    assert deleted.status_code == 202
    assert flow.dispatch(author) == 1
    removal = [m for m in flow.pending() if m[0] != "notify_mentioned"]
    assert [_kind(m) for m in removal] == ["add_to_feed_priority:feed-remove"]
    # WHEN the feed's messages run in either order (parked and retried ones keep none)
    with _calls(wiring.feed_service()._posts) as posts_calls:
        flow.run(removal + post if first == "removal" else post + removal)
    # THEN no follower's feed holds a row of the post
    assert [rows("FEEDS_TABLE", f) for f in followers] == [[], [], []]
    assert [feed_ids(app_client, f, signed_in(f)) for f in followers] == [[], [], []]
    # AND the post's message read its tombstone once, a consistent GetItem, never a Query
    assert posts_calls == Counter({"GetItem(consistent)": 1})


class DeleteDuringWrites(DynamoFeedStore):
    """The feeds table, where the post's whole delete (its tombstone, then its removal
    message run) lands right after the worker's first BatchWriteItem: the removal
    clears what was written so far, and the worker's later writes come after it."""

    def __init__(self, model: Any, posts: DynamoPostStore, followers: list[str]) -> None:
        super().__init__(model)
        self._posts = posts
        self._followers = followers
        self.deletes = 0

    def put_entries(self, entries: Any) -> None:
        super().put_entries(entries)
        if not self.deletes:
            self.deletes += 1
            yubl = entries[0].yubl
            deleted = yubl_deleted(yubl.author_id, yubl.yubl_id, datetime.now(UTC))
            self._posts.tombstone(yubl.author_id, yubl.yubl_id, deleted.deleted_at)
            RemovalService(self).remove_group(removal_message(deleted, self._followers))


@pytest.mark.usefixtures("stage_environment")
def test_a_delete_between_a_workers_writes_is_withdrawn_by_the_worker(unique):
    # GIVEN a group of 30 followers (two BatchWriteItem calls) and a delete that lands
    # between them
    followers = [f"{unique}-f{i:02d}" for i in range(30)]
    posts = DynamoPostStore(bind_post_model(os.environ["POSTS_TABLE"]))
    feeds = DeleteDuringWrites(bind_feed_model(os.environ["FEEDS_TABLE"]), posts, followers)
    yubl = new_yubl(f"{unique}-a", "gone between", now=datetime.now(UTC))
    posts.put(yubl)
    # WHEN the worker writes the post's group message
    written = FeedService(feeds, posts).add_group(group_message(yubl, followers))
    # THEN the removal ran once, after the first 25 were written; the last 5 came after
    # it, and the worker's tombstone read, after its writes, withdrew all 30
    assert feeds.deletes == 1
    assert (written.entries, written.withdrawn, written.followers) == (0, 30, ())
    assert [f for f in followers if rows("FEEDS_TABLE", f)] == []


# -- a mute during the fan-out ------------------------------------------------------------


def test_a_mute_during_the_fan_out_loses_the_write_and_wins_the_read(
    app_client, unique, signed_in, account
):
    # GIVEN star's followers ann, bob and carol; carol muted star before the post
    star, ann, bob, carol = (f"{unique}-{n}" for n in ("star", "ann", "bob", "carol"))
    account(star)
    flow = Flow(app_client, star, unique)
    for follower in (ann, bob, carol):
        follow(app_client, star, follower, signed_in(follower))
    assert (
        app_client.http.put(f"/users/{carol}/mutes/{star}", headers=signed_in(carol)).status_code
        == 204
    )
    yubl_id = _post(app_client, star, signed_in(star), "hello")
    # WHEN the dispatcher plans the post (asking the mutes once) ...
    with _calls(wiring._mute_store()) as mute_calls:
        assert flow.dispatch(star, ann, bob, carol) == 4
        feed = [m for m in flow.pending() if m[0] != "notify_mentioned"]
        # ... ann mutes star before the worker writes, and the worker writes
        muted = app_client.http.put(f"/users/{ann}/mutes/{star}", headers=signed_in(ann))
        assert muted.status_code == 204
        flow.run(feed)
    # THEN the plan left carol out (one Query of the muted_by index, none in the worker)
    [(_, message)] = feed
    assert sorted(json.loads(message["Body"])["followers"]) == sorted([ann, bob])
    assert mute_calls == Counter({"Query": 1, "PutItem": 1})  # the plan's Query, ann's mute
    # AND the plan wins the write: ann's row is there, carol's never was
    assert [len(rows("FEEDS_TABLE", u)) for u in (ann, bob, carol)] == [1, 1, 0]
    # AND the mute wins the read: ann does not see it while she mutes star, bob does
    assert feed_ids(app_client, ann, signed_in(ann)) == []
    assert feed_ids(app_client, bob, signed_in(bob)) == [yubl_id]
    # AND once ann unmutes star, the entry written as planned shows
    assert (
        app_client.http.delete(f"/users/{ann}/mutes/{star}", headers=signed_in(ann)).status_code
        == 204
    )
    assert feed_ids(app_client, ann, signed_in(ann)) == [yubl_id]
