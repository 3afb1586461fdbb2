"""A stage with a custom domain: the shortener's links and its own-host refusal use the
domain, whichever host a request came in on (here API Gateway's own)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from chalice.test import Client

from deploy.custom_domain import domain_settings
from devstack.stack import PROJECT_DIR
from tests.integration.shortener_client import shortener_client

pytestmark = pytest.mark.emulator

GATEWAY_HOST = "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com"
DECLARED = {"domain_name": "go.example.com", "certificate_arn": "arn:aws:acm:us-east-1:1:x"}


@pytest.fixture(scope="module")
def client(stage_environment) -> Iterator[Client]:
    # GIVEN the local stage declaring a custom domain, with the settings make deploy derives
    config = json.loads((PROJECT_DIR / ".chalice" / "config.json").read_text())
    config["stages"]["local"]["api_gateway_custom_domain"] = DECLARED
    derived = domain_settings(config, "local")
    assert derived == {"SHORTENER_BASE_URL": "https://go.example.com"}
    with shortener_client(derived) as test_client:
        yield test_client


def _shorten(client: Client, url: str):
    headers = {"Content-Type": "application/json", "Host": GATEWAY_HOST}
    return client.http.post("/", headers=headers, body=json.dumps({"url": url}))


def test_a_short_link_is_on_the_domain_at_its_root(client, unique):
    response = _shorten(client, f"https://example.com/{unique}")
    assert response.status_code == 201
    body = json.loads(response.body)
    assert body["short_url"] == f"https://go.example.com/{body['code']}"


@pytest.mark.parametrize(
    "url",
    ["https://go.example.com/abcd", "HTTPS://GO.EXAMPLE.COM:443/x", f"http://{GATEWAY_HOST}/x"],
)
def test_a_url_on_the_domain_or_the_requests_host_is_refused(client, url):
    response = _shorten(client, url)
    assert response.status_code == 400
    assert json.loads(response.body) == {"error": "url: must not point at this service"}
