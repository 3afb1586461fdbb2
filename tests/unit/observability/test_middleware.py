"""Middleware: what app.py registers, exercised through app.py's own app and Chalice's
test client. The posts service behind it is the in-memory twin: no network."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from chalice.test import Client

from chalicelib import settings, wiring
from chalicelib.adapters.accounts_memory import InMemoryUserStore
from chalicelib.adapters.memory import InMemoryEventPublisher, InMemoryPostStore
from chalicelib.identity import middleware as identity_middleware
from chalicelib.identity.settings import identity_settings
from chalicelib.observability.correlation import kinesis_payload
from chalicelib.services.account_gate import AccountGate
from chalicelib.services.posting import PostingService
from devstack.stack import PROJECT_DIR
from tests.chalice_app import load_app
from tests.unit.identity.keys import (
    CLIENT_ID,
    ISSUER,
    POOL_ID,
    JwksServer,
    SigningKey,
    id_claims,
    serve_jwks,
)

Written = Callable[[], list[dict[str, Any]]]

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
SIGNING_KEY = SigningKey("middleware-test")
ALICE = {"Authorization": f"Bearer {SIGNING_KEY.sign(id_claims('alice'))}"}


class StreamTwin(InMemoryEventPublisher):
    """The in-memory stream, holding each event as the Kinesis adapter would send it."""

    def publish(self, event: Mapping[str, Any], partition_key: str) -> None:
        super().publish(kinesis_payload(event), partition_key)


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> InMemoryEventPublisher:
    """POST /yubls publishes into this in-memory stream."""
    publisher = StreamTwin()
    service = PostingService(publisher, InMemoryPostStore(), clock=lambda: NOW)
    monkeypatch.setattr(wiring, "posting_service", lambda: service)
    return publisher


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[Client]:
    config = json.loads((PROJECT_DIR / ".chalice" / "config.json").read_text())
    stage = {
        **config["environment_variables"],
        **config["stages"]["local"]["environment_variables"],
    }
    for name, value in stage.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DEBUG_LOG_SAMPLE_RATE", "0")
    # sign-in against a JWKS of our own: alice's token below is signed with its key
    monkeypatch.setenv("USER_POOL_ID", POOL_ID)
    monkeypatch.setenv("USER_POOL_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("USER_POOL_ISSUER", ISSUER)
    caches = (settings.current, identity_settings, identity_middleware._verifier)
    gate = AccountGate(InMemoryUserStore(["alice"]), cache_seconds=30)
    monkeypatch.setattr(wiring, "account_gate", lambda: gate)  # alice's account: no table
    with serve_jwks(JwksServer(SIGNING_KEY)) as jwks:
        monkeypatch.setenv("USER_POOL_JWKS_URL", jwks.url)
        for cached in caches:
            cached.cache_clear()
        try:
            with Client(
                load_app(), stage_name="local", project_dir=str(PROJECT_DIR)
            ) as test_client:
                yield test_client
        finally:
            for cached in caches:
                cached.cache_clear()


def _post(client: Client, headers: dict[str, str], body: object = None) -> Any:
    if body is None:
        body = {"author_id": "alice", "text": "hi"}
    return client.http.post(
        "/yubls",
        headers={"Content-Type": "application/json", **ALICE, **headers},
        body=json.dumps(body),
    )


def test_http_request_id_is_echoed_and_on_every_line(
    client: Client, published: InMemoryEventPublisher, written: Written
) -> None:
    # GIVEN a post that brings its own correlation id
    # WHEN it is handled
    response = _post(client, {"X-Correlation-Id": "abc"})
    # THEN the response returns the id, and every line of the request carries it
    assert response.status_code == 202
    assert response.headers["x-correlation-id"] == "abc"
    lines = written()
    assert [line["message"] for line in lines if "message" in line] == [
        "yubl posted",
        "http request handled",
    ]
    assert {line.get("x-correlation-id") for line in lines} == {"abc"}
    summary = lines[-1]
    assert (summary["http_method"], summary["resource_path"], summary["status_code"]) == (
        "POST",
        "/yubls",
        202,
    )
    # AND the published event carries the id one hop further
    [(_, event)] = published.published
    assert event["__context__"]["x-correlation-id"] == "abc"
    assert event["__context__"]["call-chain-length"] == "1"


def test_http_request_without_id_gets_a_new_one_in_the_response(client: Client) -> None:
    # GIVEN a request with no correlation headers
    # WHEN it is handled
    response = client.http.get("/health")
    # THEN a new uuid4 comes back in the response header
    assert response.status_code == 200
    assert uuid.UUID(response.headers["x-correlation-id"]).version == 4


def test_a_10_kb_correlation_header_is_cut_before_it_travels(
    client: Client, published: InMemoryEventPublisher
) -> None:
    # GIVEN a post whose correlation id is 10 KB long
    # WHEN it is handled
    response = _post(client, {"x-correlation-id": "k" * 10_240})
    # THEN 128 characters of it are echoed and published, no more
    assert response.status_code == 202
    assert response.headers["x-correlation-id"] == "k" * 128
    [(_, event)] = published.published
    assert event["__context__"]["x-correlation-id"] == "k" * 128


@pytest.mark.parametrize(
    ("hop", "status", "published_length"),
    [
        ("7", 202, "8"),
        ("8", 202, "9"),  # the stream record at 9, the SNS message at 10: both within 10
        ("9", 508, None),  # the SNS message would be at 11: add_to_feed would refuse it
        ("10", 508, None),
        ("11", 508, None),  # past the limit: refused by the middleware, before the view
    ],
)
def test_a_post_without_room_for_its_two_hops_is_refused_at_the_door(
    client: Client,
    published: InMemoryEventPublisher,
    hop: str,
    status: int,
    published_length: str | None,
) -> None:
    # GIVEN the default MAX_CALL_CHAIN_LENGTH of 10, and a post at hop ``hop``
    # WHEN it arrives
    response = _post(client, {"x-correlation-id": "loop", "call-chain-length": hop})
    # THEN it is accepted only when the stream and the topic hops both fit
    assert (response.status_code, response.headers["x-correlation-id"]) == (status, "loop")
    lengths = [event["__context__"]["call-chain-length"] for _, event in published.published]
    if published_length is None:
        assert lengths == []
        assert set(json.loads(response.body)) == {"error"}
        assert "call-chain-length " + hop in json.loads(response.body)["error"]
    else:
        assert lengths == [published_length]


def test_a_refused_post_writes_one_error_line_under_its_id(
    client: Client, published: InMemoryEventPublisher, written: Written
) -> None:
    # GIVEN a post at hop 11
    # WHEN it arrives
    response = _post(client, {"x-correlation-id": "loop", "call-chain-length": "11"})
    # THEN the body is the API's one error shape, and one error line says why
    assert json.loads(response.body) == {"error": "call-chain-length 11 exceeds the limit of 10"}
    assert response.headers["Content-Type"] == "application/json"
    assert [(line["level"], line["message"], line["x-correlation-id"]) for line in written()] == [
        ("ERROR", "call chain too long: record refused", "loop")
    ]


def test_an_invocation_failure_is_logged_with_the_function_name(
    client: Client, written: Written
) -> None:
    # GIVEN an event distribute_yubl cannot read (a record of an unknown source)
    event = {"Records": [{"eventSource": "aws:unknown"}]}
    # WHEN app.py's distribute_yubl is invoked with it
    with pytest.raises(ValueError, match="unsupported event source 'aws:unknown'"):
        client.lambda_.invoke("distribute_yubl", event)
    # THEN one error line names the function and the exception
    [line] = written()
    assert (line["level"], line["message"], line["function_name"], line["exception_name"]) == (
        "ERROR",
        "invocation failed",
        "distribute_yubl",
        "ValueError",
    )


def test_an_unexpected_failure_in_a_view_is_a_500_in_the_one_error_shape(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a posts service that fails in a way no handler expects (a bug)
    def broken() -> PostingService:
        raise RuntimeError("wiring bug")

    monkeypatch.setattr(wiring, "posting_service", broken)
    # WHEN a valid post arrives
    response = _post(client, {})
    # THEN Chalice's 500 comes in the API's error shape, without the exception's text
    assert (response.status_code, json.loads(response.body)) == (
        500,
        {"error": "internal error: the request was not completed"},
    )
    assert response.headers["Content-Type"] == "application/json"
