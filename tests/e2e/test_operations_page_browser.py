"""The local operations page (``make run``'s own, ``devstack.monitor``) in a real browser:
a post to the stack shows on it, drawn with plotly.js served from the ``plotly`` package.

Headless Chromium from the system (the ``browser`` fixture of ``conftest.py``); skipped,
saying how to install one, when no browser is on the machine.
"""

from __future__ import annotations

import re
from importlib.resources import files

import pytest
import requests

from .conftest import author_with_followers

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

FOLLOWERS = 3  # one follower group: one PostToFeedLatency value, three feed entries


def _number(page, element_id: str) -> float:
    return float(page.inner_text(f"#{element_id}"))


def test_a_post_shows_on_the_operations_page(browser, local_stack):
    # GIVEN the page at the URL make run printed, once it has drawn its first numbers
    ready = next(line for line in local_stack.output if line.startswith("ready"))
    assert re.search(r"operations page http://127\.0\.0\.1:\d+/,", ready), ready
    context = browser.new_context()
    page = context.new_page()
    page.goto(local_stack.monitor_url)
    assert page.title() == "Yubl fan-out: local operations"
    page.wait_for_function("document.getElementById('stage').textContent === 'local'")
    messages, entries = _number(page, "latency-count"), _number(page, "entries-total")
    # WHEN an author with three followers posts
    author, _, tokens = author_with_followers(local_stack.api_url, FOLLOWERS)
    response = requests.post(
        f"{local_stack.api_url}/yubls",
        json={"author_id": author, "text": "watched"},
        headers=tokens[author],
        timeout=30,
    )
    assert response.status_code == 202
    # THEN the page counts its group message and its entries, with no reload
    page.wait_for_function(
        f"Number(document.getElementById('latency-count').textContent) >= {messages + 1}"
        f" && Number(document.getElementById('entries-total').textContent) >= {entries + 3}",
        timeout=120_000,
    )
    assert _number(page, "latency-count") == messages + 1
    assert _number(page, "entries-total") == entries + FOLLOWERS
    # the histogram holds every value the count says, and the percentiles are drawn
    drawn = page.evaluate("document.getElementById('latency').data[0].x.length")
    assert drawn == messages + 1
    for percentile in ("p50", "p95", "p99"):
        assert re.fullmatch(r"\d+ ms", page.inner_text(f"#{percentile}")), percentile
    assert page.inner_text("#slo") == "5000 ms"
    # the queue depths come from the emulator
    assert re.fullmatch(r"\d+", page.inner_text("#retry-depth"))
    assert re.fullmatch(r"\d+", page.inner_text("#dead-depth"))
    # plotly.js came from the page's own server, as the plotly package ships it
    sources = page.evaluate("[...document.scripts].map(s => s.src).filter(Boolean)")
    assert sources == [f"{local_stack.monitor_url}plotly.min.js"]
    assert page.evaluate("typeof Plotly.react") == "function"
    served = requests.get(f"{local_stack.monitor_url}plotly.min.js", timeout=30)
    shipped = files("plotly").joinpath("package_data", "plotly.min.js").read_bytes()
    assert served.content == shipped
    context.close()


def test_an_unknown_path_of_the_page_is_a_json_404(local_stack):
    response = requests.get(f"{local_stack.monitor_url}nothere", timeout=10)
    assert (response.status_code, response.json()) == (404, {"error": "no such page"})
