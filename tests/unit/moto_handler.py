"""moto's DynamoDB handler in this process, behind the emulator's direct dispatch
(werkzeug's test client), for the tests that compare a one-pass answer with moto's own
(``test_batch_get_speedups``, ``test_query_speedups``)."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
from werkzeug.test import Client
from werkzeug.wrappers import Response

from devstack.direct_dispatch import DYNAMODB_TARGET, routed

AUTHORIZATION = (
    "AWS4-HMAC-SHA256 Credential=test/20261208/us-east-1/dynamodb/aws4_request, "
    "SignedHeaders=host, Signature=0"
)


def _not_dynamodb(environ: dict[str, Any], start_response: Any) -> Any:
    return Response("not a DynamoDB call", status=404)(environ, start_response)


def dynamodb_client() -> Client:
    """A client whose DynamoDB calls reach moto's handler (anything else: 404)."""
    return Client(routed(_not_dynamodb))


def call(client: Client, operation: str, body: dict[str, Any]) -> tuple[int, str, str, str]:
    """The answer's status, body, content type and checksum; an exception inside moto
    (a 500 from the emulator's server) as its type."""
    try:
        answer = client.post(
            "/",
            data=json.dumps(body),
            headers={
                "X-Amz-Target": f"{DYNAMODB_TARGET}.{operation}",
                "Content-Type": "application/x-amz-json-1.0",
                "Authorization": AUTHORIZATION,
            },
        )
    except Exception as raised:
        return 500, type(raised).__name__, "", ""
    headers = answer.headers
    return (
        answer.status_code,
        answer.get_data(as_text=True),
        headers.get("Content-Type", ""),
        headers.get("x-amz-crc32", ""),
    )


def answers_seen(monkeypatch: pytest.MonkeyPatch, module: ModuleType) -> list[str | None]:
    """Each answer of ``module``'s one-pass path from now on, in order (None: left to
    moto's handler, also when moto's checks raise); the path itself is unchanged."""
    seen: list[str | None] = []
    answer_here = module.answered_here

    def recorded(handler: Any) -> str | None:
        seen.append(None)
        seen[-1] = answer_here(handler)
        return seen[-1]

    monkeypatch.setattr(module, "answered_here", recorded)
    return seen


def random_answers(
    operation: str,
    seeded: Callable[[Client], None],
    request: Callable[[random.Random], dict[str, Any]],
    count: int,
    module: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[list[dict[str, Any]], list[int], list[str | None]]:
    """``count`` seeded random requests answered by moto's own handler, then with
    ``module`` installed; every answer must be the same. The requests, the stock
    answers' statuses, and the one-pass answers."""
    client = dynamodb_client()
    seeded(client)
    draw = random.Random(2026)
    requests = [request(draw) for _ in range(count)]
    stock = [call(client, operation, body) for body in requests]
    module.install()
    seen = answers_seen(monkeypatch, module)
    changed = [call(client, operation, body) for body in requests]
    for body, got, want in zip(requests, changed, stock, strict=True):
        assert got == want, body
    return requests, [status for status, *_ in stock], seen
