"""Middleware: what app.py registers once, exercised through Chalice's test client."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from chalice import Chalice
from chalice.app import SNSEvent
from chalice.test import Client

from chalicelib.observability.correlation import CallChainTooLong
from chalicelib.observability.logging import logger
from chalicelib.observability.middleware import (
    http_correlation,
    invocation_logging,
    sns_correlation,
)
from tests.aws_samples import sns_event

Written = Callable[[], list[dict[str, Any]]]


def build_app() -> Chalice:
    """A small app wired the way app.py wires the real one."""
    app = Chalice(app_name="observability-test")
    app.register_middleware(invocation_logging, "all")
    app.register_middleware(http_correlation, "http")
    app.register_middleware(sns_correlation, "sns")

    @app.route("/yubls", methods=["POST"])
    def post_yubl() -> dict[str, str]:
        logger.info("yubl accepted")
        return {"yubl_id": "y-1"}

    @app.on_sns_message(topic="feed-fanout", name="add_to_feed")
    def add_to_feed(event: SNSEvent) -> None:
        logger.info("feed group written", sns_message=event.message)

    return app


@pytest.fixture
def client(tmp_path: Path) -> Iterator[Client]:
    with Client(build_app(), project_dir=str(tmp_path)) as test_client:
        yield test_client


def test_http_request_id_is_echoed_and_on_every_line(client: Client, written: Written) -> None:
    # GIVEN a request that brings its own correlation id
    # WHEN it is handled
    response = client.http.post("/yubls", headers={"X-Correlation-Id": "abc"})
    # THEN the response returns the id, and the view's line and the summary carry it
    assert response.status_code == 200
    assert response.headers["x-correlation-id"] == "abc"
    lines = written()
    assert [(line["message"], line["x-correlation-id"]) for line in lines] == [
        ("yubl accepted", "abc"),
        ("http request handled", "abc"),
    ]
    assert (lines[1]["http_method"], lines[1]["resource_path"], lines[1]["status_code"]) == (
        "POST",
        "/yubls",
        200,
    )


def test_http_request_without_id_gets_a_new_one_in_the_response(client: Client) -> None:
    # GIVEN a request with no correlation headers
    # WHEN it is handled
    response = client.http.post("/yubls")
    # THEN a new uuid4 comes back in the response header
    assert uuid.UUID(response.headers["x-correlation-id"]).version == 4


def test_http_request_past_the_call_chain_limit_is_refused(
    client: Client, written: Written
) -> None:
    # GIVEN a request that has already travelled 11 hops
    # WHEN it arrives
    response = client.http.post(
        "/yubls", headers={"x-correlation-id": "loop", "call-chain-length": "11"}
    )
    # THEN it is refused with 508 before the view runs, after one error line
    assert (response.status_code, response.headers["x-correlation-id"]) == (508, "loop")
    assert [(line["level"], line["message"]) for line in written()] == [
        ("ERROR", "call chain too long: record refused")
    ]


def test_sns_invocation_logs_under_the_message_ids_and_function_name(
    client: Client, written: Written
) -> None:
    # GIVEN an SNS event whose message carries correlation attributes
    event = sns_event(
        {
            "x-correlation-id": {"Type": "String", "Value": "abc"},
            "call-chain-length": {"Type": "String", "Value": "2"},
        },
        message="group-1",
    )
    # WHEN the add_to_feed function is invoked
    client.lambda_.invoke("add_to_feed", event)
    # THEN the handler's line carries the message's id and the function's name
    [line] = written()
    assert (line["message"], line["x-correlation-id"], line["call-chain-length"]) == (
        "feed group written",
        "abc",
        "2",
    )
    assert line["function_name"] == "add_to_feed"


def test_sns_invocation_past_the_limit_raises_for_the_on_failure_destination(
    client: Client, written: Written
) -> None:
    # GIVEN an SNS message that has travelled 11 hops
    event = sns_event({"call-chain-length": {"Type": "String", "Value": "11"}})
    # WHEN add_to_feed is invoked
    # THEN the invocation fails (Lambda retries, then the on-failure destination)
    with pytest.raises(CallChainTooLong):
        client.lambda_.invoke("add_to_feed", event)
    # AND the handler never ran
    assert "feed group written" not in [line["message"] for line in written()]


def test_invocation_failure_is_logged_with_the_function_name(
    tmp_path: Path, written: Written
) -> None:
    # GIVEN a function that fails
    app = Chalice(app_name="failing")
    app.register_middleware(invocation_logging, "all")

    @app.lambda_function(name="distribute_yubl")
    def distribute_yubl(event: dict[str, Any], context: Any) -> None:
        raise RuntimeError("stream unavailable")

    # WHEN it is invoked
    with Client(app, project_dir=str(tmp_path)) as failing, pytest.raises(RuntimeError):
        failing.lambda_.invoke("distribute_yubl", {})
    # THEN one error line names the function and the exception
    [line] = written()
    assert (line["level"], line["function_name"], line["exception_name"]) == (
        "ERROR",
        "distribute_yubl",
        "RuntimeError",
    )
