"""The rules of long URLs, slugs and expiries."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.shortener.rules import (
    InvalidLink,
    check_slug,
    is_blocked,
    normalize_url,
    parse_expiry,
    url_key,
)

NOW = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("HTTPS://Example.COM:443/Path?q=A#Frag", "https://example.com/Path?q=A#Frag"),
        ("http://example.com", "http://example.com/"),
        ("http://example.com:8080/x", "http://example.com:8080/x"),
        ("  https://example.com./a  ", "https://example.com/a"),
        ("https://bücher.example/", "https://xn--bcher-kva.example/"),
    ],
)
def test_url_is_normalized(given, stored):
    assert normalize_url(given) == stored


@pytest.mark.parametrize(
    ("given", "error"),
    [
        (None, "url: is required"),
        ("", "url: is required"),
        (42, "url: is required"),
        ("ftp://example.com/file", "url: must be an http or https URL"),
        ("javascript:alert(1)", "url: must be an http or https URL"),
        ("example.com/path", "url: must be an http or https URL"),
        ("https:///path-only", "url: must name a host"),
        ("https://user:secret@example.com/", "url: must not contain a user name or password"),
        ("https://exa mple.com/", "url: must not contain spaces or control characters"),
        ("https://example.com:99999/", "url: is not a valid URL"),
        ("https://exa_mple!.com/", "url: has an invalid host name"),
        ("https://example.com/" + "a" * 2029, "url: must be at most 2048 characters"),
    ],
)
def test_bad_url_names_the_problem(given, error):
    with pytest.raises(InvalidLink) as raised:
        normalize_url(given)
    assert str(raised.value) == error


def test_a_url_of_exactly_2048_characters_is_accepted():
    url = "https://example.com/" + "a" * 2028
    assert len(url) == 2048
    assert normalize_url(url) == url


def test_own_origin_and_blocked_domains_with_their_subdomains_are_refused():
    own = frozenset({("short.test", 443)})
    blocked = frozenset({"bad.example"})
    assert is_blocked("https://short.test/abcd", own, blocked) == "must not point at this service"
    assert is_blocked("https://short.test:8443/abcd", own, blocked) is None
    assert is_blocked("https://bad.example/x", own, blocked) == "host bad.example is blocked"
    assert (
        is_blocked("https://www.bad.example/x", own, blocked) == "host www.bad.example is blocked"
    )
    assert is_blocked("https://notbad.example/x", own, blocked) is None


@pytest.mark.parametrize("slug", ["abc", "my-link_1", "A" * 64])
def test_good_slug_is_kept(slug):
    assert check_slug(slug) == slug


@pytest.mark.parametrize(
    ("slug", "error"),
    [
        ("ab", "slug: must be 3-64 characters of A-Z a-z 0-9 _ -"),
        ("A" * 65, "slug: must be 3-64 characters of A-Z a-z 0-9 _ -"),
        ("has space", "slug: must be 3-64 characters of A-Z a-z 0-9 _ -"),
        ("dot.ted", "slug: must be 3-64 characters of A-Z a-z 0-9 _ -"),
        (7, "slug: must be 3-64 characters of A-Z a-z 0-9 _ -"),
        ("health", "slug: health is a reserved path"),
        ("Health", "slug: Health is a reserved path"),
        ("links", "slug: links is a reserved path"),
        ("apple-app-site-association", "slug: apple-app-site-association is a reserved path"),
    ],
)
def test_bad_slug_names_the_problem(slug, error):
    with pytest.raises(InvalidLink) as raised:
        check_slug(slug)
    assert str(raised.value) == error


def test_expiry_is_stored_in_utc_and_a_zone_less_time_is_utc():
    assert parse_expiry("2030-01-01T00:00:00+02:00", NOW) == "2029-12-31T22:00:00Z"
    assert parse_expiry("2030-01-01T08:30", NOW) == "2030-01-01T08:30:00Z"
    assert parse_expiry(None, NOW) is None


@pytest.mark.parametrize(
    ("given", "error"),
    [
        ("tomorrow", "expires_at: must be an ISO-8601 date and time"),
        (1700000000, "expires_at: must be an ISO-8601 date and time"),
        ("2026-11-23T12:00:00Z", "expires_at: must be in the future"),
        ("2020-01-01T00:00:00Z", "expires_at: must be in the future"),
    ],
)
def test_bad_expiry_names_the_problem(given, error):
    with pytest.raises(InvalidLink) as raised:
        parse_expiry(given, NOW)
    assert str(raised.value) == error


def test_url_key_differs_by_url_and_by_expiry():
    a = url_key("https://example.com/", None)
    assert a == url_key("https://example.com/", None)
    assert a != url_key("https://example.com/x", None)
    assert a != url_key("https://example.com/", "2030-01-01T00:00:00Z")
