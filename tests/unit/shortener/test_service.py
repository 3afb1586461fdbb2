"""The shortener's use cases on the in-memory twin of its store."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.shortener.codes import code_for
from chalicelib.shortener.memory import InMemoryLinkStore
from chalicelib.shortener.rules import InvalidLink, Link, LinkExpired, LinkNotFound, SlugTaken
from chalicelib.shortener.service import CodeAllocator, ShortenerService

KEY = b"unit-test-key-0123456789"
START = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def _service(store: InMemoryLinkStore, clock: Clock | None = None, block: int = 10):
    return ShortenerService(
        store,
        CodeAllocator(store, KEY, block),
        clock=clock or Clock(),
        blocked_hosts=frozenset({"bad.example"}),
    )


def test_first_link_gets_the_code_of_counter_zero():
    store = InMemoryLinkStore()
    link = _service(store).shorten("https://example.com/a")
    assert link == Link(code_for(0, KEY), "https://example.com/a", "2026-11-23T12:00:00Z")
    assert store.links == {link.code: link}


def test_the_same_url_twice_gives_one_code_and_one_link():
    store = InMemoryLinkStore()
    service = _service(store)
    first = service.shorten("https://example.com/a?b=1")
    again = service.shorten("HTTPS://EXAMPLE.com:443/a?b=1")
    other = service.shorten("https://example.com/b")
    assert again.code == first.code
    assert other.code != first.code
    assert sorted(store.links) == sorted([first.code, other.code])


def test_two_containers_give_the_same_url_one_code():
    store = InMemoryLinkStore()
    first = _service(store).shorten("https://example.com/a")
    assert _service(store).shorten("https://example.com/a").code == first.code
    assert len(store.links) == 1


class StaleClaims(InMemoryLinkStore):
    """A racing post: the claim check misses a claim that another post makes meanwhile."""

    def claimed_code(self, key: str) -> str | None:
        return None


def test_a_post_that_loses_the_race_returns_the_winners_code_and_removes_its_own_link():
    store = StaleClaims()
    winner = _service(store).shorten("https://example.com/race")
    loser = _service(store).shorten("https://example.com/race")
    assert loser == winner
    assert list(store.links) == [winner.code]


@pytest.mark.parametrize(("links", "block"), [(1, 10), (10, 10), (95, 10), (250, 100), (7, 1)])
def test_counter_writes_are_one_per_block_of_codes(links, block):
    store = InMemoryLinkStore()
    service = _service(store, block=block)
    codes = {service.shorten(f"https://example.com/{n}").code for n in range(links)}
    assert len(codes) == links
    assert store.counter_writes == math.ceil(links / block)


def test_each_container_takes_its_own_blocks():
    store = InMemoryLinkStore()
    a, b = _service(store, block=10), _service(store, block=10)
    codes = [
        s.shorten(f"https://example.com/{n}-{i}").code
        for n in range(15)
        for i, s in enumerate((a, b))
    ]
    assert len(set(codes)) == 30
    assert store.counter_writes == 4  # each container: 15 codes, two blocks of 10


def test_a_custom_slug_is_its_code_and_a_taken_slug_is_409():
    store = InMemoryLinkStore()
    service = _service(store)
    link = service.shorten("https://example.com/a", slug="my-link")
    assert link.code == "my-link"
    with pytest.raises(SlugTaken, match=r"^slug: my-link is already taken$"):
        service.shorten("https://example.com/b", slug="my-link")
    assert store.links["my-link"].url == "https://example.com/a"


def test_a_generated_code_skips_a_code_that_a_slug_took():
    store = InMemoryLinkStore()
    service = _service(store)
    service.shorten("https://example.com/slugged", slug=code_for(0, KEY))
    link = service.shorten("https://example.com/generated")
    assert link.code == code_for(1, KEY)
    assert store.links[code_for(0, KEY)].url == "https://example.com/slugged"


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"url": "ftp://example.com/"}, "url: must be an http or https URL"),
        ({"url": "https://bad.example/x"}, "url: host bad.example is blocked"),
        ({"url": "https://short.test/abcd"}, "url: must not point at this service"),
        (
            {"url": "https://example.com/", "slug": "x"},
            "slug: must be 3-64 characters of A-Z a-z 0-9 _ -",
        ),
        (
            {"url": "https://example.com/", "expires_at": "2026-11-23T11:00:00Z"},
            "expires_at: must be in the future",
        ),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(kwargs, error):
    store = InMemoryLinkStore()
    with pytest.raises(InvalidLink) as raised:
        _service(store).shorten(**kwargs, own_origins=frozenset({("short.test", 443)}))
    assert str(raised.value) == error
    assert (store.links, store.claims, store.counter_writes) == ({}, {}, 0)


def test_following_counts_each_visit():
    store = InMemoryLinkStore()
    service = _service(store)
    code = service.shorten("https://example.com/a").code
    for _ in range(3):
        assert service.follow(code).url == "https://example.com/a"
    assert service.describe(code).visits == 3


def test_an_expired_link_is_gone_and_its_visits_stop_counting():
    clock = Clock()
    store = InMemoryLinkStore()
    service = _service(store, clock)
    code = service.shorten("https://example.com/a", expires_at="2026-11-23T12:10:00Z").code
    clock.now = START + timedelta(minutes=9, seconds=59)
    assert service.follow(code).visits == 1
    clock.now = START + timedelta(minutes=10)
    with pytest.raises(LinkExpired, match=rf"^code: link {code} expired at 2026-11-23T12:10:00Z$"):
        service.follow(code)
    assert service.describe(code).visits == 1


@pytest.mark.parametrize("code", ["nope", "#counter", "a/b", "x"])
def test_unknown_or_impossible_codes_are_not_found(code):
    store = InMemoryLinkStore()
    with pytest.raises(LinkNotFound):
        _service(store).follow(code)
    with pytest.raises(LinkNotFound):
        _service(store).describe(code)
