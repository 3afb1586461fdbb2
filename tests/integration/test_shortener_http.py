"""The shortener's routes through Chalice's test client, on the table the template makes."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from chalice.test import Client

from chalicelib.shortener.codes import ALPHABET
from chalicelib.shortener.rules import Link
from chalicelib.shortener.store import DynamoLinkStore
from tests.integration.shortener_client import shortener_client

pytestmark = pytest.mark.emulator

HOST = "short.test"
JSON = {"Content-Type": "application/json", "Host": HOST}
AASA = {"applinks": {"details": [{"appIDs": ["TEAM.app.yubl"], "components": [{"/": "/*"}]}]}}


@pytest.fixture(scope="module")
def client(stage_environment) -> Iterator[Client]:
    extra = {
        "SHORTENER_BLOCKED_HOSTS": "malware.test, phish.test",
        "APPLE_APP_SITE_ASSOCIATION": json.dumps(AASA),
    }
    with shortener_client(extra) as test_client:
        yield test_client


def _shorten(client, body, headers=None):
    raw = body if isinstance(body, str) else json.dumps(body)
    return client.http.post("/", headers={**JSON, **(headers or {})}, body=raw)


def _json(response):
    return json.loads(response.body)


def test_post_returns_201_with_code_short_url_and_normalized_url(client, unique):
    response = _shorten(client, {"url": f"HTTPS://Example.com:443/{unique}?q=1"})
    assert response.status_code == 201
    body = _json(response)
    assert sorted(body) == ["code", "short_url", "url"]
    assert re.fullmatch(f"[{ALPHABET}]{{4}}", body["code"])
    assert body["short_url"] == f"http://{HOST}/{body['code']}"
    assert body["url"] == f"https://example.com/{unique}?q=1"


def test_the_same_url_twice_gives_the_same_code(client, unique):
    first = _json(_shorten(client, {"url": f"https://example.com/{unique}"}))
    again = _shorten(client, {"url": f"https://EXAMPLE.com/{unique}"})
    assert again.status_code == 201
    assert _json(again) == first


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({}, 400, "url: is required"),
        ({"url": "ftp://example.com/x"}, 400, "url: must be an http or https URL"),
        ({"url": "https:///nohost"}, 400, "url: must name a host"),
        ({"url": "https://example.com/" + "a" * 2029}, 400, "url: must be at most 2048 characters"),
        ({"url": f"http://{HOST}/abcd"}, 400, "url: must not point at this service"),
        ({"url": f"HTTP://{HOST.upper()}/abcd"}, 400, "url: must not point at this service"),
        ({"url": "javascript:alert(1)"}, 400, "url: must be an http or https URL"),
        ({"url": " JaVaScRiPt:alert(1)"}, 400, "url: must be an http or https URL"),
        (
            {"url": "data:text/html,<script>alert(1)</script>"},
            400,
            "url: must be an http or https URL",
        ),
        ({"url": "file:///etc/passwd"}, 400, "url: must be an http or https URL"),
        ({"url": "https://malware.test/x"}, 400, "url: host malware.test is blocked"),
        ({"url": "https://www.phish.test/x"}, 400, "url: host www.phish.test is blocked"),
        (
            {"url": "https://example.com/", "slug": "no"},
            400,
            "slug: must be 3-64 characters of A-Z a-z 0-9 _ -",
        ),
        ({"url": "https://example.com/", "slug": "health"}, 400, "slug: health is a reserved path"),
        ({"url": "https://example.com/", "slug": "links"}, 400, "slug: links is a reserved path"),
        ({"url": "https://example.com/", "slug": "yubls"}, 400, "slug: yubls is a reserved path"),
        (
            {"url": "https://example.com/", "expires_at": "soon"},
            400,
            "expires_at: must be an ISO-8601 date and time",
        ),
        (
            {"url": "https://example.com/", "expires_at": "2001-01-01T00:00:00Z"},
            400,
            "expires_at: must be in the future",
        ),
        ({"url": "https://example.com/", "extra": 1}, 400, "extra: is not a known field"),
        ("[1]", 400, "body: must be a JSON object"),
        ("{nope", 400, "body: must be valid JSON"),
    ],
)
def test_bad_post_is_refused_naming_the_field(client, body, status, error):
    response = _shorten(client, body)
    assert (response.status_code, _json(response)) == (status, {"error": error})


def test_a_custom_slug_is_the_code_and_a_taken_slug_is_409(client, unique):
    slug = f"s-{unique}"
    response = _shorten(client, {"url": "https://example.com/one", "slug": slug})
    assert (response.status_code, _json(response)) == (
        201,
        {"code": slug, "short_url": f"http://{HOST}/{slug}", "url": "https://example.com/one"},
    )
    taken = _shorten(client, {"url": "https://example.com/two", "slug": slug})
    assert (taken.status_code, _json(taken)) == (409, {"error": f"slug: {slug} is already taken"})
    assert _json(client.http.get(f"/links/{slug}"))["url"] == "https://example.com/one"


def test_redirect_is_308_with_location_and_private_cache_control(client, unique):
    code = _json(_shorten(client, {"url": f"https://example.com/{unique}"}))["code"]
    response = client.http.get(f"/{code}")
    assert response.status_code == 308
    assert response.headers["Location"] == f"https://example.com/{unique}"
    assert response.headers["Cache-Control"] == "private, max-age=300"


def test_cache_lifetime_never_passes_the_links_expiry(client, unique):
    from datetime import UTC, datetime, timedelta

    soon = (datetime.now(UTC) + timedelta(seconds=120)).strftime("%Y-%m-%dT%H:%M:%SZ")
    code = _json(_shorten(client, {"url": f"https://example.com/{unique}", "expires_at": soon}))[
        "code"
    ]
    max_age = int(client.http.get(f"/{code}").headers["Cache-Control"].split("max-age=")[1])
    assert 0 < max_age <= 120


def test_unknown_code_is_404_json_or_html_by_accept(client):
    as_json = client.http.get("/nothere")
    assert (as_json.status_code, _json(as_json)) == (
        404,
        {"error": "path: no route or short link for /nothere"},
    )
    as_html = client.http.get("/nothere", headers={"Accept": "text/html,*/*;q=0.8"})
    assert as_html.status_code == 404
    assert as_html.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "<h1>Link not found</h1>" in as_html.body.decode()
    assert "path: no route or short link for /nothere" in as_html.body.decode()


@pytest.mark.parametrize(
    ("method", "path", "status", "error"),
    [
        ("POST", "/yubl", 405, "method: POST is not allowed on /yubl"),  # a typo of /yubls
        ("DELETE", "/nothere", 405, "method: DELETE is not allowed on /nothere"),
        (
            "PATCH",
            "/health",
            405,
            "method: PATCH is not allowed on /health (allowed: GET, OPTIONS)",
        ),
        ("GET", "/posts", 404, "path: no route or short link for /posts"),
        ("GET", "/x", 404, "path: no route or short link for /x"),  # too short to be a code
        ("GET", "/a.b", 404, "path: no route or short link for /a.b"),  # never a code
        ("GET", "/users", 404, "path: no route or short link for /users"),  # reserved
    ],
)
def test_a_one_segment_path_that_is_no_route_is_not_taken_for_a_link(
    client, method, path, status, error
):
    response = client.http.request(method, path, body=b'{"text": "hi"}', headers=JSON)
    assert (response.status_code, _json(response)) == (status, {"error": error})
    assert response.headers["Content-Type"] == "application/json"
    if status == 405 and "(allowed" not in error:
        assert response.headers["Allow"] == "GET, HEAD, OPTIONS"


def test_head_answers_as_get_without_a_body_or_a_visit(client, unique):
    code = _json(_shorten(client, {"url": f"https://example.com/{unique}"}))["code"]
    head = client.http.request("HEAD", f"/{code}")
    assert (head.status_code, head.headers["Location"], head.body) == (
        308,
        f"https://example.com/{unique}",
        b"",
    )
    missing = client.http.request("HEAD", "/nothere")
    assert (missing.status_code, missing.headers["Content-Type"], missing.body) == (
        404,
        "application/json",
        b"",
    )
    assert _json(client.http.get(f"/links/{code}"))["visits"] == 0


def test_visits_are_counted_and_described(client, unique):
    code = _json(_shorten(client, {"url": f"https://example.com/{unique}"}))["code"]
    for _ in range(3):
        assert client.http.get(f"/{code}").status_code == 308
    body = _json(client.http.get(f"/links/{code}"))
    assert body == {
        "code": code,
        "url": f"https://example.com/{unique}",
        "visits": 3,
        "created_at": body["created_at"],
        "expires_at": None,
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body["created_at"])
    missing = client.http.get("/links/nothere")
    assert (missing.status_code, _json(missing)) == (404, {"error": "code: no link nothere"})


def test_qr_code_is_an_svg_of_the_short_url(client, unique):
    code = _json(_shorten(client, {"url": f"https://example.com/{unique}"}))["code"]
    response = client.http.get(f"/links/{code}/qr.svg", headers={"Host": HOST})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/svg+xml"
    svg = response.body.decode()
    assert svg.startswith("<?xml") and 'xmlns="http://www.w3.org/2000/svg"' in svg
    assert f"<title>QR code of {code}</title>" in svg
    assert client.http.get("/links/nothere/qr.svg").status_code == 404


@pytest.mark.parametrize(
    "path", ["/apple-app-site-association", "/.well-known/apple-app-site-association"]
)
def test_apple_app_site_association_is_the_configured_json(client, path):
    response = client.http.get(path)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert json.loads(response.body) == AASA


def test_literal_routes_win_over_codes(client):
    assert _json(client.http.get("/health")) == {"status": "ok"}
    assert client.http.get("/links/x").status_code == 404  # /links/{code}, not /{code}
    assert client.http.get("/yubls").status_code == 405  # its POST route, not code "yubls"


def test_index_page_has_the_form(client):
    response = client.http.get("/")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    page = response.body.decode()
    assert '<form method="post" action="">' in page
    assert '<input id="url" name="url" type="url"' in page


def test_form_post_answers_with_a_page_showing_the_short_url(client, unique):
    form = {"url": f"https://example.com/{unique}", "slug": "", "expires_at": ""}
    response = client.http.post(
        "/",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Host": HOST},
        body=urlencode(form),
    )
    assert response.status_code == 201
    page = response.body.decode()
    [short_url] = re.findall(r'id="short-url" type="text" readonly value="([^"]+)"', page)
    assert short_url.startswith(f"http://{HOST}/")
    followed = client.http.get("/" + short_url.rsplit("/", 1)[1])
    assert followed.headers["Location"] == f"https://example.com/{unique}"


def test_bad_form_post_shows_the_error_on_the_page_with_the_status(client):
    response = client.http.post(
        "/",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Host": HOST},
        body=urlencode({"url": "ftp://example.com/"}),
    )
    assert response.status_code == 400
    page = response.body.decode()
    assert 'role="alert">url: must be an http or https URL</p>' in page
    assert 'value="ftp://example.com/"' in page


def test_an_expired_link_is_410_json_or_html_by_accept(client, unique):
    code = f"old-{unique}"
    stored = DynamoLinkStore("short-links-local").create(
        Link(code, "https://example.com/old", "2019-01-01T00:00:00Z", "2020-01-01T00:00:00Z")
    )
    assert stored
    as_json = client.http.get(f"/{code}")
    assert (as_json.status_code, _json(as_json)) == (
        410,
        {"error": f"code: link {code} expired at 2020-01-01T00:00:00Z"},
    )
    as_html = client.http.get(f"/{code}", headers={"Accept": "text/html"})
    assert as_html.status_code == 410
    assert "<h1>Link expired</h1>" in as_html.body.decode()
    assert _json(client.http.get(f"/links/{code}"))["visits"] == 0
