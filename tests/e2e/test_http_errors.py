"""Every error of the API under the local server, as a client sees it over HTTP.

Chalice's local server answers some requests before any view runs (415, 405, unknown
path), and Python's ``http.server`` under it some before chalice sees them (414, 431,
...); each must still be the API's one error shape with the right status.
"""

from __future__ import annotations

import http.client
import json
import socket
import urllib.error
import urllib.request
import uuid

import pytest

from .conftest import sign_in_users

pytestmark = pytest.mark.e2e


def _send(
    api_url: str, method: str, path: str, body: bytes | None, headers: dict[str, str]
) -> tuple[int, str, dict]:
    request = urllib.request.Request(api_url + path, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, content_type, raw = (
                response.status,
                response.headers["Content-Type"],
                response.read(),
            )
    except urllib.error.HTTPError as err:
        status, content_type, raw = err.code, err.headers["Content-Type"], err.read()
    return status, content_type, json.loads(raw)


JSON = {"Content-Type": "application/json"}


FORM = "application/x-www-form-urlencoded"  # what `curl -d` sends without -H


@pytest.fixture(scope="module")
def signed_in(local_stack) -> dict[str, str]:
    """A user's Authorization header: sign-in, checked first on user routes, passes."""
    return sign_in_users([f"errors-{uuid.uuid4().hex[:8]}"]).popitem()[1]


@pytest.mark.parametrize(
    ("method", "path", "body", "headers", "status", "error"),
    [
        # what `curl -d 'author_id=a&text=hi' $API/yubls` sends
        (
            "POST",
            "/yubls",
            b"author_id=a&text=hi",
            {"Content-Type": FORM},
            415,
            "Content-Type: application/x-www-form-urlencoded is not accepted;"
            " send application/json",
        ),
        (
            "GET",
            "/yubls",
            None,
            {},
            405,
            "method: GET is not allowed on /yubls (allowed: POST, OPTIONS)",
        ),
        ("GET", "/no/such/path", None, {}, 404, "path: no route for GET /no/such/path"),
        # one-segment paths: a mistyped route is not taken for a short link's code
        ("POST", "/yubl", b'{"text": "hi"}', JSON, 405, "method: POST is not allowed on /yubl"),
        (
            "PUT",
            "/posts",
            b"x",
            {"Content-Type": FORM},
            405,
            "method: PUT is not allowed on /posts",
        ),
        ("GET", "/posts", None, {}, 404, "path: no route or short link for /posts"),
        ("GET", "/a.b", None, {}, 404, "path: no route or short link for /a.b"),  # never a code
        ("POST", "/yubls", b"{not json", JSON, 400, "body: must be valid JSON"),
        ("POST", "/yubls", b"[1, 2]", JSON, 400, "body: must be a JSON object"),
        ("POST", "/yubls", b"", JSON, 400, "body: must be a JSON object"),
        (
            "POST",
            "/yubls",
            b'{"text": "hi"}',
            {**JSON, "call-chain-length": "9"},
            508,
            "call-chain-length 9 leaves no room for the 2 hops this request takes (limit 10)",
        ),
    ],
)
def test_every_error_is_one_json_error_body(
    local_stack, signed_in, method, path, body, headers, status, error
):
    headers = {**signed_in, **headers}
    assert _send(local_stack.api_url, method, path, body, headers) == (
        status,
        "application/json",
        {"error": error},
    )


def _send_raw(api_url: str, request: bytes) -> tuple[int, str, dict]:
    """``request`` as bytes on a fresh connection (no client library would send these)."""
    host, port = api_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(request)
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, response.getheader("Content-Type", ""), json.loads(response.read())


def _request(line: bytes, *headers: bytes, body: bytes = b"") -> bytes:
    return b"\r\n".join([line, b"Host: 127.0.0.1", *headers, b"", body])


@pytest.mark.parametrize(
    ("request_bytes", "status", "error"),
    [
        (
            _request(b"GET /health?q=" + b"a" * 100_000 + b" HTTP/1.1"),
            414,
            "url: the request line is longer than 65536 bytes",
        ),
        (
            _request(b"GET /health HTTP/1.1", b"X-Big: " + b"a" * 70_000),
            431,
            "headers: a header line is longer than 65536 bytes",
        ),
        (
            _request(b"GET /health HTTP/1.1", *(b"X-H%d: 1" % n for n in range(101))),
            431,
            "headers: more than 100 header lines",
        ),
        (_request(b"GET"), 400, "request line: must be <method> <path> HTTP/1.1"),
        (
            _request(b"GET /health HTTP/2.0"),
            505,
            "request line: the HTTP version must be HTTP/1.0 or HTTP/1.1",
        ),
        (_request(b"BREW /health HTTP/1.1"), 501, "method: BREW is not supported"),
        (
            _request(b"POST /yubls HTTP/1.1", b"Content-Length: ten"),
            400,
            "Content-Length: must be one whole number of bytes",
        ),
        (
            _request(
                b"POST / HTTP/1.1",
                b"Content-Type: application/json",
                b"Transfer-Encoding: chunked",
                body=b'9\r\n{"url": 1}\r\n0\r\n\r\n',
            ),
            411,
            "Transfer-Encoding: not supported by the local server; send Content-Length",
        ),
    ],
    ids=[
        "url-100000",
        "header-70000",
        "101-headers",
        "no-path",
        "http-2",
        "unknown-method",
        "length-not-a-number",
        "chunked-body",
    ],
)
def test_what_the_http_server_refuses_before_the_app_is_one_json_error_body(
    local_stack, request_bytes, status, error
):
    assert _send_raw(local_stack.api_url, request_bytes) == (
        status,
        "application/json",
        {"error": error},
    )


def test_a_head_of_a_one_segment_path_answers_without_a_body(local_stack):
    # two requests on one connection, read raw: a body sent after the HEAD's headers
    # would sit where the next answer starts (http.client would drop it unseen)
    host, port = local_stack.api_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        connection.sendall(
            b"HEAD /posts HTTP/1.1\r\nHost: api\r\n\r\n"
            b"GET /health HTTP/1.1\r\nHost: api\r\nConnection: close\r\n\r\n"
        )
        raw = b"".join(iter(lambda: connection.recv(65536), b""))
    head, _, rest = raw.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert (lines[0], b"Content-Type: application/json" in lines) == (
        b"HTTP/1.1 404 Not Found",
        True,
    )
    assert rest.startswith(b"HTTP/1.1 200 OK\r\n"), rest[:200]
    assert rest.endswith(b"\r\n\r\n" + b'{"status":"ok"}')
