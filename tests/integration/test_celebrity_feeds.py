"""Hybrid fan-out against the emulator: follower counts kept by the follow transaction,
celebrities' posts stored but not fanned out, and GET /users/{id}/feed merging them in.

The dispatcher here is the real service on the real tables, with a threshold of 3
followers; its feed messages go straight to the real feed worker (the SNS hop is the
subscriber-group tests' business). Reads go through the HTTP API.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from chalice.test import Client

from chalicelib import wiring
from chalicelib.adapters.activity_store import (
    DynamoActivityStore,
    DynamoTrimMarks,
    bind_activity_model,
)
from chalicelib.adapters.celebrity_models import bind_author_model, bind_pulled_post_model
from chalicelib.adapters.celebrity_stores import DynamoAuthorIndex, DynamoPulledPosts
from chalicelib.adapters.dynamodb_models import bind_feed_model, bind_post_model
from chalicelib.adapters.dynamodb_stores import DynamoPostStore
from chalicelib.adapters.feed_trim import DynamoFeedTrimStore
from chalicelib.adapters.memory import InMemoryGroupPublisher
from chalicelib.domain.feed_cap import FeedCap
from chalicelib.domain.posts import new_yubl, yubl_posted_event
from chalicelib.domain.routing import RoutingTable
from chalicelib.services.celebrities import CelebrityPolicy
from chalicelib.services.distribution import DistributionService
from chalicelib.services.feed_cap import FeedTrimmer
from devstack.stack import PROJECT_DIR
from tests.chalice_app import load_app

from .users_rows import register

pytestmark = pytest.mark.emulator

THRESHOLD = 3
FEED_ONLY = RoutingTable.declare({"yubl-posted": ["feed"]}, {"feed": "feed-local"})


@pytest.fixture(scope="module")
def client(stage_environment) -> Iterator[Client]:
    with Client(load_app(), stage_name="local", project_dir=str(PROJECT_DIR)) as test_client:
        yield test_client


class Posting:
    """Posts through the real dispatcher and feed worker, on the stage's tables."""

    def __init__(self) -> None:
        self.posts = DynamoPostStore(bind_post_model(os.environ["POSTS_TABLE"]))
        self.authors = DynamoAuthorIndex(bind_author_model(os.environ["AUTHORS_TABLE"]))
        self.publisher = InMemoryGroupPublisher()
        self.clock = datetime.now(UTC) - timedelta(hours=1)
        self.dispatcher = DistributionService(
            wiring.following_service()._store,  # the counting store the API uses
            self.publisher,
            FEED_ONLY,
            group_size=2,
            clock=lambda: datetime.now(UTC),
            posts=self.posts,
            celebrities=CelebrityPolicy(
                self.authors,
                DynamoPulledPosts(bind_pulled_post_model(os.environ["POSTS_TABLE"])),
                THRESHOLD,
            ),
        )
        self.delivered = 0
        self.serial = 0

    def post(self, author: str) -> tuple[str, bool]:
        """The yubl id, and whether it was pulled rather than fanned out."""
        self.clock += timedelta(milliseconds=10)
        self.serial += 1
        yubl = new_yubl(author, f"post {self.serial}", now=self.clock)
        distribution = self.dispatcher.distribute(yubl_posted_event(yubl))
        messages = self.publisher.group("feed").messages
        for message in messages[self.delivered :]:
            wiring.feed_service().add_group(message)
        self.delivered = len(messages)
        return yubl.yubl_id, distribution.groups[0].pulled

    def delete(self, author: str, yubl_id: str) -> None:
        self.posts.tombstone(author, yubl_id, datetime.now(UTC).isoformat())


def _seed_follow(author: str, fan: str) -> None:
    """A follow through the API's service, of users who exist (their rows written here)."""
    register(author, fan)
    wiring.following_service().follow(author, fan)


def _pages(client: Client, user: str, headers: dict, limit: int) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        query = f"?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        response = client.http.get(f"/users/{user}/feed{query}", headers=headers)
        assert response.status_code == 200, response.body
        body = json.loads(response.body)
        pages.append([item["yubl_id"] for item in body["items"]])
        if body["next_cursor"] is None:
            return pages
        cursor = body["next_cursor"]


def _follow(client: Client, author: str, fan: str, headers: dict, method: str = "put") -> None:
    register(author)  # a follow names users who exist
    call = getattr(client.http, method)
    assert call(f"/users/{author}/followers/{fan}", headers=headers).status_code == 204


def test_follow_and_unfollow_keep_the_count_and_repeats_do_not_count_twice(
    client, unique, signed_in
):
    author, fan = f"{unique}-author", f"{unique}-fan"
    authors = DynamoAuthorIndex(bind_author_model(os.environ["AUTHORS_TABLE"]))
    _follow(client, author, fan, signed_in(fan))
    _follow(client, author, fan, signed_in(fan))
    _seed_follow(author, f"{unique}-other")
    assert authors.follower_count(author) == 2
    _follow(client, author, fan, signed_in(fan), "delete")
    _follow(client, author, fan, signed_in(fan), "delete")
    assert authors.follower_count(author) == 1
    assert authors.follower_count(f"{unique}-nobody") == 0


def test_a_merged_feed_with_celebrities_ordinary_authors_and_deletes_is_stable_across_pages(
    client, unique, signed_in
):
    # GIVEN a reader following two celebrities and two ordinary authors, and a
    # celebrity the reader does not follow
    reader = f"{unique}-reader"
    headers = signed_in(reader)
    stars = [f"{unique}-star-a", f"{unique}-star-b", f"{unique}-star-x"]
    for star in stars:
        for n in range(THRESHOLD + 1):
            _seed_follow(star, f"{unique}-fan-{n}")
    for author in [stars[0], stars[1], f"{unique}-joe", f"{unique}-amy"]:
        _follow(client, author, reader, headers)
    posting = Posting()
    posted = []
    for name in ["joe", "star-a", "amy", "star-x", "star-b", "star-a", "joe", "star-b"] * 2:
        author = f"{unique}-{name}"
        yubl_id, pulled = posting.post(author)
        assert pulled == name.startswith("star"), (name, pulled)
        posted.append((author, yubl_id))
    # AND some of each kind deleted
    deleted = {posted[1], posted[2], posted[12]}
    for author, yubl_id in deleted:
        posting.delete(author, yubl_id)
    # WHEN the feed is read three at a time, and whole
    pages = _pages(client, reader, headers, 3)
    # THEN every followed live post once, newest first, as the posting log says
    expected = [
        yubl_id
        for author, yubl_id in reversed(posted)
        if author != stars[2] and (author, yubl_id) not in deleted
    ]
    assert len(expected) == 16 - 2 - 3
    assert [y for page in pages for y in page] == expected
    assert [len(page) for page in pages] == [3, 3, 3, 2]
    assert _pages(client, reader, headers, 100) == [expected]


def test_crossing_the_threshold_both_ways_loses_no_post(client, unique, signed_in):
    reader = f"{unique}-reader"
    headers = signed_in(reader)
    riser = f"{unique}-riser"
    _follow(client, riser, reader, headers)
    crowd = [f"{unique}-fan-{n}" for n in range(THRESHOLD)]
    posting = Posting()
    before, pulled_before = posting.post(riser)  # 1 follower: fanned out
    for fan in crowd:
        _seed_follow(riser, fan)
    during, pulled_during = posting.post(riser)  # 4 followers: pulled
    for fan in crowd:
        wiring.following_service().unfollow(riser, fan)
    after, pulled_after = posting.post(riser)  # 1 again: fanned out
    assert (pulled_before, pulled_during, pulled_after) == (False, True, False)
    assert _pages(client, reader, headers, 1) == [[after], [during], [before]]
    # a late follower finds the pulled post too
    late = f"{unique}-late"
    _follow(client, riser, late, signed_in(late))
    assert _pages(client, late, signed_in(late), 10) == [[during]]


def test_past_a_capped_feeds_end_the_followed_authors_older_posts_carry_on(
    client, unique, signed_in
):
    # GIVEN a reader following a celebrity and an ordinary author, whose stored feed
    # the real trimmer cut to its newest 2 entries (a cap of 2), one older post deleted
    reader, star, joe = f"{unique}-reader", f"{unique}-star", f"{unique}-joe"
    for n in range(THRESHOLD + 1):
        _seed_follow(star, f"{unique}-fan-{n}")
    _seed_follow(star, reader)
    _seed_follow(joe, reader)
    posting = Posting()
    posted = [(a, posting.post(a)[0]) for a in [joe, star, joe, joe, star, joe, joe]]
    feeds = bind_feed_model(os.environ["FEEDS_TABLE"])
    stored = sorted((row.yubl_id for row in feeds.query(reader)), reverse=True)
    assert stored == sorted((y for a, y in posted if a == joe), reverse=True)
    marks = DynamoTrimMarks(bind_activity_model(os.environ["ACTIVITY_TABLE"]))
    trimmer = FeedTrimmer(DynamoFeedTrimStore(feeds), FeedCap(max_items=2, trim_every=1), marks)
    assert trimmer.after_write(posted[-1][1], [reader]).deleted == len(stored) - 2
    posting.delete(*posted[0])
    # WHEN the whole feed is read two at a time over HTTP, with the stage's settings
    pages = _pages(client, reader, signed_in(reader), 2)
    # THEN every live post of both authors, newest first, once, past the 2 stored
    assert [y for page in pages for y in page] == [
        y for a, y in reversed(posted) if (a, y) != posted[0]
    ]
    assert [len(page) for page in pages] == [2, 2, 2]


def test_a_feed_never_cut_ends_at_its_oldest_entry(client, unique, signed_in):
    # GIVEN joe's two posts from before the reader followed him (so not in the feed)
    reader, joe = f"{unique}-reader", f"{unique}-joe"
    posting = Posting()
    for _ in range(2):
        posting.post(joe)
    _seed_follow(joe, reader)
    after = [posting.post(joe)[0] for _ in range(2)]
    # THEN the feed is what was fanned out to it: no trim cut it, so nothing older
    assert _pages(client, reader, signed_in(reader), 10) == [after[::-1]]


def test_the_trim_mark_and_the_last_read_share_the_activity_item(stage_environment, unique):
    activity = bind_activity_model(os.environ["ACTIVITY_TABLE"])
    marks, reads = DynamoTrimMarks(activity), DynamoActivityStore(activity)
    user = f"{unique}-user"
    assert (marks.was_trimmed(user), reads.last_read(user)) == (False, None)
    assert reads.record_read(user, "2026-11-24T01:00:00Z") is True
    marks.mark_trimmed([user])
    marks.mark_trimmed([user])
    assert (marks.was_trimmed(user), reads.last_read(user)) == (True, "2026-11-24T01:00:00Z")
    assert reads.record_read(user, "2026-11-24T02:00:00Z") is True
    assert (marks.was_trimmed(user), reads.last_read(user)) == (True, "2026-11-24T02:00:00Z")
    assert marks.was_trimmed(f"{unique}-other") is False
