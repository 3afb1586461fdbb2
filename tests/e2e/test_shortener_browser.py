"""A real browser uses the shortener's page on the local stack (``chalice local``).

Headless Chromium from the system (the ``browser`` fixture of ``conftest.py``): open
``/``, fill the form, submit, read the short URL off the page, follow it to the target.
Skipped, saying how to install one, when no browser is on the machine.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from chalicelib.shortener.codes import ALPHABET

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def target_site() -> Iterator[str]:
    """A page on another local port for the short URL to lead to."""

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = f"<title>target</title><h1 id='arrived'>arrived at {self.path}</h1>".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _shorten_in_page(page, api_url: str, target: str) -> str:
    page.goto(f"{api_url}/")
    assert page.title() == "Shorten a link"
    page.fill("#url", target)
    page.click("#shorten")
    page.wait_for_selector("#short-url")
    return str(page.input_value("#short-url"))


def test_browser_shortens_a_url_on_the_page_and_follows_it(browser, target_site, local_stack):
    target = f"{target_site}/article/{uuid.uuid4().hex[:8]}?from=browser"
    context = browser.new_context()
    page = context.new_page()
    short_url = _shorten_in_page(page, local_stack.api_url, target)
    assert re.fullmatch(f"{re.escape(local_stack.api_url)}/[{ALPHABET}]{{4}}", short_url)
    assert page.is_visible("#copy")  # the script added the copy button
    page.goto(short_url)
    assert page.url == target
    assert page.inner_text("#arrived") == f"arrived at {target.removeprefix(target_site)}"
    code = short_url.rsplit("/", 1)[1]
    link = requests.get(f"{local_stack.api_url}/links/{code}", timeout=10).json()
    assert (link["url"], link["visits"]) == (target, 1)
    context.close()


def test_the_form_works_without_javascript(browser, target_site, local_stack):
    target = f"{target_site}/no-js/{uuid.uuid4().hex[:8]}"
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    short_url = _shorten_in_page(page, local_stack.api_url, target)
    assert short_url.startswith(f"{local_stack.api_url}/")
    assert not page.is_visible("#copy")  # no script, no copy button: the field is selectable
    page.click("#short-link")
    page.wait_for_url(target)
    assert page.inner_text("#arrived") == f"arrived at {target.removeprefix(target_site)}"
    context.close()


@pytest.mark.parametrize(
    ("path", "status", "body"),
    [
        ("/health", 200, {"status": "ok"}),
        ("/apple-app-site-association", 200, {"applinks": {"details": []}}),
        ("/.well-known/apple-app-site-association", 200, {"applinks": {"details": []}}),
        ("/nothere", 404, {"error": "path: no route or short link for /nothere"}),
    ],
)
def test_chalice_local_routes_literal_paths_before_codes(local_stack, path, status, body):
    response = requests.get(local_stack.api_url + path, timeout=10, allow_redirects=False)
    assert (response.status_code, response.json()) == (status, body)


def test_a_literal_path_without_the_method_is_not_taken_for_a_code(local_stack):
    # POST-only /yubls answers GET with 405 from its own route, never a lookup of code "yubls"
    response = requests.get(f"{local_stack.api_url}/yubls", timeout=10, allow_redirects=False)
    assert response.status_code == 405
