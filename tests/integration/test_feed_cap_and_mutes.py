"""Capped feeds and mutes on the emulator: real tables, counted calls and write units,
and the mutes API through Chalice's test client."""

from __future__ import annotations

import json
import os
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from chalice.test import Client

from chalicelib import wiring
from chalicelib.adapters.dynamodb_models import bind_feed_model, bind_post_model
from chalicelib.adapters.dynamodb_mutes import DynamoMuteStore, bind_mute_model
from chalicelib.adapters.dynamodb_stores import DynamoFeedStore, DynamoPostStore
from chalicelib.adapters.feed_trim import DynamoFeedTrimStore
from chalicelib.domain.fanout import group_message
from chalicelib.domain.posts import Yubl, new_yubl
from chalicelib.events.feed_writer import feed_writer
from chalicelib.services.feed_cap import FeedTrimmer
from chalicelib.services.feeds import FeedService
from chalicelib.settings import Settings

from .users_rows import register

pytestmark = pytest.mark.emulator


class FeedTableCalls:
    """Every call the bound feed model's client makes, and the items its BatchWriteItem
    calls put and delete (each a feed reference well under 1 KB: one write unit)."""

    def __init__(self, model: Any) -> None:
        self.calls: Counter[str] = Counter()
        self.put_units = 0
        self.delete_units = 0
        self.deleted: Counter[tuple[str, str]] = Counter()
        client = model._get_connection().connection.client
        client.meta.events.register("before-parameter-build.dynamodb.*", self._count)

    def _count(self, model: Any, params: Any, **_: Any) -> None:
        self.calls[model.name] += 1
        for requests in (params.get("RequestItems") or {}).values():
            for request in requests:
                if "PutRequest" in request:
                    self.put_units += 1
                else:
                    key = request["DeleteRequest"]["Key"]
                    self.deleted[(key["user_id"]["S"], key["yubl_id"]["S"])] += 1
                    self.delete_units += 1


class CappedFeeds:
    """add_to_feed's body over the emulator's tables, the cap read from the settings."""

    def __init__(self, stack_outputs: dict[str, str], env: dict[str, str]) -> None:
        settings = Settings.from_environ({**os.environ, **env})
        self.cap = settings.feed_cap
        model = bind_feed_model(stack_outputs["FeedsTableName"])
        self.counted = FeedTableCalls(model)
        self.posts = DynamoPostStore(bind_post_model(stack_outputs["PostsTableName"]))
        self.model = model
        self.service = FeedService(DynamoFeedStore(model), self.posts, cap=self.cap)
        trimmer = FeedTrimmer(DynamoFeedTrimStore(model), self.cap)
        self.handle = feed_writer(lambda: self.service, lambda: 0, trimmer=lambda: trimmer)

    def deliver(self, yubl: Yubl, followers: list[str]) -> None:
        self.posts.put(yubl)
        self.handle(group_message(yubl, followers))

    def rows(self, user: str) -> list[str]:
        """The feed's rows, read apart from the counted client."""
        return sorted((row.yubl_id for row in _reader(self.model).query(user)), reverse=True)

    def shown(self, user: str) -> list[str]:
        ids, cursor = [], None
        while True:
            page = self.service.read(user, 8, cursor)
            ids += [e.yubl.yubl_id for e in page.items]
            if page.next_cursor is None:
                return ids
            cursor = page.next_cursor


def _reader(model: Any) -> Any:
    return bind_feed_model(model.Meta.table_name)


def _posts(unique: str, count: int) -> list[Yubl]:
    start = datetime.now(UTC) - timedelta(hours=1)
    author = f"{unique}-author"
    return [new_yubl(author, f"#{i}", now=start + timedelta(seconds=i)) for i in range(count)]


def test_a_feed_never_holds_more_than_the_cap_after_three_times_the_cap_of_posts(
    stack_outputs, stage_environment, unique
):
    # GIVEN FEED_MAX_ITEMS=20 and a trim on every write
    feeds = CappedFeeds(stack_outputs, {"FEED_MAX_ITEMS": "20", "FEED_TRIM_EVERY": "1"})
    followers = [f"{unique}-f1", f"{unique}-f2"]
    posts = _posts(unique, 60)
    newest_first = [p.yubl_id for p in reversed(posts)]
    for n, yubl in enumerate(posts, start=1):
        # WHEN 60 posts reach both followers
        feeds.deliver(yubl, followers)
        if n % 10 == 0:  # THEN the table holds the newest min(n, 20) of each feed
            for follower in followers:
                assert feeds.rows(follower) == newest_first[60 - n :][:20]
    # and the calls counted: one Query per entry (trim_every=1), each of the 40 older
    # entries of each feed deleted once, one write unit each
    calls = feeds.counted
    assert calls.put_units == 120
    assert calls.calls["Query"] == 120
    assert calls.delete_units == 80
    assert set(calls.deleted.values()) == {1}
    for follower in followers:
        assert feeds.shown(follower) == newest_first[:20]


def test_amortised_trims_query_one_feed_in_trim_every_and_delete_only_the_evicted(
    stack_outputs, stage_environment, unique
):
    # GIVEN FEED_MAX_ITEMS=10 and FEED_TRIM_EVERY=10: 30 posts to 10 followers
    feeds = CappedFeeds(stack_outputs, {"FEED_MAX_ITEMS": "10", "FEED_TRIM_EVERY": "10"})
    followers = [f"{unique}-f{i:02d}" for i in range(10)]
    posts = _posts(unique, 30)
    newest_first = [p.yubl_id for p in reversed(posts)]
    drawn_total = 0
    for n, yubl in enumerate(posts, start=1):
        queries = feeds.counted.calls["Query"]
        feeds.deliver(yubl, followers)
        drawn = feeds.cap.feeds_to_trim((f, yubl.yubl_id) for f in followers)
        drawn_total += len(drawn)
        # THEN each drawn feed costs one Query and is left with exactly the newest 10
        assert feeds.counted.calls["Query"] - queries == len(drawn)
        for follower in drawn:
            assert feeds.rows(follower) == newest_first[30 - n :][:10]
    calls = feeds.counted
    entries = 30 * 10
    assert (calls.put_units, calls.calls["BatchWriteItem"] >= 30) == (entries, True)
    assert drawn_total > 0  # about one per 10 entries; the draws are a hash, fixed per id
    # the deletes: the evicted entries only, each once; nothing of the newest 10 lost
    assert set(calls.deleted.values()) == {1}
    assert sum(len(feeds.rows(f)) for f in followers) + calls.delete_units == entries
    for follower in followers:
        assert feeds.shown(follower) == newest_first[:10]


# -- the mutes table ---------------------------------------------------------------


@pytest.fixture
def mutes(stack_outputs) -> DynamoMuteStore:
    return DynamoMuteStore(bind_mute_model(stack_outputs["MutesTableName"]))


def test_the_mute_store_pages_looks_up_and_finds_muters_by_id_range(mutes, unique):
    for user, author in [("b", "star"), ("d", "star"), ("c", "other"), ("x", "star")]:
        mutes.add(f"{unique}-{user}", f"{unique}-{author}")
    mutes.add(f"{unique}-b", f"{unique}-other")
    star = f"{unique}-star"
    assert mutes.muting(star, f"{unique}-a", f"{unique}-e") == {f"{unique}-b", f"{unique}-d"}
    assert mutes.muted_authors(f"{unique}-b", [star, f"{unique}-other", f"{unique}-zz"]) == {
        star,
        f"{unique}-other",
    }
    first = mutes.page(f"{unique}-b", 1, None)
    assert first.items == [f"{unique}-other"]
    second = mutes.page(f"{unique}-b", 1, first.next_cursor)
    assert (second.items, second.next_cursor) == ([star], None)
    mutes.remove(f"{unique}-b", star)
    assert mutes.muting(star, f"{unique}-a", f"{unique}-e") == {f"{unique}-d"}


def test_a_version_1_messages_muters_are_left_out_by_its_worker_and_hidden_at_read(
    stack_outputs, mutes, unique
):
    # (version 2 messages come without the muters: tests/integration/test_fanout_races.py)
    posts = DynamoPostStore(bind_post_model(stack_outputs["PostsTableName"]))
    model = bind_feed_model(stack_outputs["FeedsTableName"])
    feed = FeedService(DynamoFeedStore(model), posts, mutes=mutes)
    star, other, ann, bob = (f"{unique}-{n}" for n in ("star", "other", "ann", "bob"))
    old_star, old_other, new_star = _posts(unique, 3)
    old_star = Yubl(old_star.yubl_id, star, "old", old_star.posted_at)
    old_other = Yubl(old_other.yubl_id, other, "other", old_other.posted_at)
    new_star = Yubl(new_star.yubl_id, star, "new", new_star.posted_at)
    for yubl in (old_star, old_other):
        posts.put(yubl)
        feed.add_group(group_message(yubl, [ann, bob]))
    # WHEN ann mutes star, and star posts again
    mutes.add(ann, star)
    posts.put(new_star)
    written = feed.add_group(group_message(new_star, [ann, bob], version=1))
    # THEN the new post is written to bob's feed only; ann's feed hides the older one
    assert (written.followers, written.muted) == ((bob,), 1)
    assert [r.yubl_id for r in model.query(ann)] == [old_star.yubl_id, old_other.yubl_id]
    assert [e.yubl.yubl_id for e in feed.read(ann, 10, None).items] == [old_other.yubl_id]
    assert [e.yubl.yubl_id for e in feed.read(bob, 10, None).items] == [
        new_star.yubl_id,
        old_other.yubl_id,
        old_star.yubl_id,
    ]


# -- the mutes API -------------------------------------------------------------------


@pytest.fixture
def client(app_client: Client) -> Client:
    return app_client


def _body(response) -> Any:
    return json.loads(response.body)


def test_mute_list_and_unmute_over_http_hide_the_author_from_the_feed(client, unique, signed_in):
    ann, (star,) = f"{unique}-ann", register(f"{unique}-star")
    headers = signed_in(ann)
    yubl = _posts(unique, 1)[0]
    yubl = Yubl(yubl.yubl_id, star, "before the mute", yubl.posted_at)
    # as the dispatcher and the worker: the post stored, then written to ann's feed
    DynamoPostStore(bind_post_model(os.environ["POSTS_TABLE"])).put(yubl)
    wiring.feed_service().add_group(group_message(yubl, [ann]))
    feed = client.http.get(f"/users/{ann}/feed", headers=headers)
    assert [item["yubl_id"] for item in _body(feed)["items"]] == [yubl.yubl_id]

    assert client.http.put(f"/users/{ann}/mutes/{star}", headers=headers).status_code == 204
    listed = client.http.get(f"/users/{ann}/mutes", headers=headers)
    assert (listed.status_code, _body(listed)) == (200, {"mutes": [star], "next_cursor": None})
    feed = client.http.get(f"/users/{ann}/feed", headers=headers)
    assert _body(feed) == {"items": [], "next_cursor": None}

    assert client.http.delete(f"/users/{ann}/mutes/{star}", headers=headers).status_code == 204
    assert _body(client.http.get(f"/users/{ann}/mutes", headers=headers))["mutes"] == []
    feed = client.http.get(f"/users/{ann}/feed", headers=headers)
    assert [item["yubl_id"] for item in _body(feed)["items"]] == [yubl.yubl_id]


def test_mutes_are_paged_in_id_order(client, unique, signed_in):
    ann = f"{unique}-ann"
    for author in register(*(f"{unique}-{name}" for name in ("c", "a", "b"))):
        muted = client.http.put(f"/users/{ann}/mutes/{author}", headers=signed_in(ann))
        assert muted.status_code == 204
    first = _body(client.http.get(f"/users/{ann}/mutes?limit=2", headers=signed_in(ann)))
    assert first["mutes"] == [f"{unique}-a", f"{unique}-b"]
    path = f"/users/{ann}/mutes?limit=2&cursor={first['next_cursor']}"
    second = _body(client.http.get(path, headers=signed_in(ann)))
    assert second == {"mutes": [f"{unique}-c"], "next_cursor": None}


@pytest.mark.parametrize(
    ("method", "path", "error"),
    [
        ("PUT", "/users/{u}/mutes/{u}", "author_id: a user cannot mute themselves"),
        ("DELETE", "/users/{u}/mutes/{u}", "author_id: a user cannot mute themselves"),
        (
            "PUT",
            "/users/{u}/mutes/bad%20id",
            "author_id: must be 1-64 characters of A-Z, a-z, 0-9, '_' or '-'",
        ),
        (
            "DELETE",
            "/users/{u}/mutes/" + "x" * 65,
            "author_id: must be 1-64 characters of A-Z, a-z, 0-9, '_' or '-'",
        ),
        ("GET", "/users/{u}/mutes?limit=0", "limit: must be an integer from 1 to 1000"),
        ("GET", "/users/{u}/mutes?cursor=nope", "cursor: is not a cursor this API returned"),
    ],
)
def test_bad_mute_requests_are_400_naming_the_field_and_change_nothing(
    client, unique, signed_in, written, method, path, error
):
    headers = signed_in(unique)
    before = written.snapshot()
    response = client.http.request(method, path.format(u=unique), headers=headers)
    assert (response.status_code, _body(response)) == (400, {"error": error})
    assert written.changed(before) == []


@pytest.mark.parametrize("method", ["PUT", "DELETE", "GET"])
def test_only_the_user_may_touch_their_mutes(client, unique, signed_in, mutes, method):
    path = f"/users/{unique}-ann/mutes" + ("" if method == "GET" else f"/{unique}-star")
    response = client.http.request(method, path, headers=signed_in(f"{unique}-eve"))
    assert response.status_code == 403
    assert _body(response) == {"error": f"user_id: must be the signed-in user {unique}-eve"}
    assert mutes.page(f"{unique}-ann", 10, None).items == []
