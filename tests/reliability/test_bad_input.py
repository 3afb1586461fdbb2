"""Schemathesis fuzzes every operation of openapi.yaml against the whole local stack.

The short run is part of ``make test``; the long one (marker ``fuzz``) runs with
``make test-fuzz``. Each prints the cases it sent and the statuses it got.
"""

from __future__ import annotations

import json
import os
import re
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial

import boto3
import pytest
import requests

from devstack.emulator import aws_environment
from tests.e2e.conftest import wait_for
from tests.e2e.stack_process import StackProcess
from tests.e2e.test_config_service import make_api_key

from .fuzzing import Fuzzer, PoolTokens, api_written_state, erasure_ended

pytestmark = pytest.mark.e2e

SHORT_EXAMPLES = 8
"""Per operation and generation mode: 22 operations x 2 modes x 8 = a few hundred cases."""
LONG_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "100"))


@pytest.fixture(scope="module")
def fuzzer(stack_process: StackProcess) -> Iterator[Fuzzer]:
    api_key = make_api_key(stack_process, "SCOPES=read,write", "PREFIX=")[-1]
    session = boto3.Session(**_credentials(stack_process.aws_endpoint))
    state = api_written_state(session, stack_process.aws_endpoint)
    erased = partial(
        erasure_ended, session.client("dynamodb", endpoint_url=stack_process.aws_endpoint)
    )
    tokens = PoolTokens(stack_process.aws_endpoint)
    yield Fuzzer(stack_process.api_url, api_key, state, tokens, erased)


def _credentials(endpoint: str) -> dict[str, str]:
    env = aws_environment(endpoint)
    return {
        "aws_access_key_id": env["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": env["AWS_SECRET_ACCESS_KEY"],
        "region_name": env["AWS_DEFAULT_REGION"],
    }


def _report(fuzzer: Fuzzer) -> None:
    statuses = ", ".join(f"{code}: {n}" for code, n in sorted(fuzzer.statuses.items()))
    print(f"\nfuzzed {fuzzer.cases} cases ({statuses})")


@pytest.mark.timeout(900)
def test_short_fuzz_run_keeps_the_error_contract(fuzzer: Fuzzer) -> None:
    fuzzer.run(SHORT_EXAMPLES)
    _report(fuzzer)
    assert fuzzer.cases >= 22 * 2


@pytest.mark.fuzz
@pytest.mark.timeout(4 * 3600)
def test_long_fuzz_run_keeps_the_error_contract(fuzzer: Fuzzer) -> None:
    fuzzer.run(LONG_EXAMPLES)
    _report(fuzzer)
    assert fuzzer.cases >= 22 * 2


def _deep(levels: int) -> bytes:
    return b'{"author_id": "a", "text": ' + b"[" * levels + b"]" * levels + b"}"


JSON = {"Content-Type": "application/json"}
BIG = b'{"author_id": "a", "text": "' + b"a" * 200_000 + b'"}'
FORM = {"Content-Type": "application/x-www-form-urlencoded"}  # what `curl -d` sends
FORM_ERROR = (
    "Content-Type: application/x-www-form-urlencoded is not accepted; send application/json"
)


@pytest.mark.parametrize(
    ("method", "path", "body", "headers", "status", "error"),
    [
        (
            "POST",
            "/yubls",
            _deep(100_000),
            JSON,
            413,
            f"body: is {len(_deep(100_000))} bytes; the limit is 131072",
        ),
        ("POST", "/yubls", _deep(5_000), JSON, 400, "body: is nested too deeply"),
        (
            "POST",
            "/yubls",
            b'{"author_id": "a", "text": "\\ud800"}',
            JSON,
            400,
            "body: must not contain unpaired surrogates",
        ),
        (
            "PUT",
            "/config/fuzz.surrogate",
            b'{"value": "\\udfff x"}',
            JSON,
            400,
            "body: must not contain unpaired surrogates",
        ),
        (
            "POST",
            "/yubls",
            b'{"author_id": "a", "text": "\xff\xfe"}',
            JSON,
            400,
            "body: must be valid JSON",
        ),
        (
            "POST",
            "/yubls",
            b'{"author_id": "a\\u0000", "text": "x"}',
            JSON,
            403,  # an author no user can be is never the signed-in one
            "author_id: must be the signed-in user hostile-user",
        ),
        ("POST", "/yubls", b'{"author_id": "a", "text": ', JSON, 400, "body: must be valid JSON"),
        ("POST", "/yubls", b"NaN", JSON, 400, "body: must be a JSON object"),
        ("POST", "/yubls", b"author_id=a&text=hi", FORM, 415, FORM_ERROR),
        ("PUT", "/config/fuzz.form", b"value=1", FORM, 415, FORM_ERROR),
        (
            "POST",
            "/yubls",
            b'{"author_id": "a", "text": "x"}',
            {"Content-Type": "text/plain"},
            415,
            "Content-Type: text/plain is not accepted; send application/json",
        ),
        (
            "POST",
            "/yubls",
            BIG,
            JSON,
            413,
            f"body: is {len(BIG)} bytes; the limit is 131072",
        ),
        ("GET", "/users/../config", None, {}, 404, "path: no route for GET /users/../config"),
        (
            "GET",
            "/users/%2e%2e/feed",
            None,
            {},
            403,
            "user_id: must be the signed-in user hostile-user",
        ),
        (
            "GET",
            "/users/a%2Fb/feed",
            None,
            {},
            403,
            "user_id: must be the signed-in user hostile-user",
        ),
        (
            "PUT",
            "/users/a%00/followers/b",
            None,
            {},
            403,
            "follower_id: must be the signed-in user hostile-user",
        ),
        (
            "GET",
            "//yubls",
            None,
            {},
            405,
            "method: GET is not allowed on /yubls (allowed: POST, OPTIONS)",
        ),
        (
            "GET",
            "/health",
            None,
            {"X-Padding": "a" * 20_000},
            431,
            re.compile(r"headers: are 2\d{4} bytes; the limit is 16384"),
        ),
    ],
)
def test_hostile_requests_get_the_json_error_body_and_write_nothing(
    fuzzer: Fuzzer, method, path, body, headers, status, error
) -> None:
    # signed in and with an API key, so that neither is what refuses the request (a path id
    # no user can have is refused as another user's, 403, before its format is read); the
    # token first: signing the user up writes its users row
    signed_in = {"Authorization": f"Bearer {fuzzer.token('hostile-user')}"}
    before = fuzzer.state.snapshot()
    prepared = requests.Request(
        method,
        fuzzer.api_url,
        data=body,
        headers={"x-api-key": fuzzer.api_key, **signed_in, **headers},
    ).prepare()
    prepared.url = fuzzer.api_url + path  # as sent: no dot segments resolved
    with requests.Session() as session:
        response = session.send(prepared, timeout=60)
    assert (response.status_code, response.headers["Content-Type"]) == (status, "application/json")
    message = response.json()["error"]
    assert error.fullmatch(message) if isinstance(error, re.Pattern) else message == error
    assert set(response.json()) == {"error"}
    assert fuzzer.state.changed(before) == []


def _posted(author: str, text: str, **changes: object) -> dict:
    yubl = {
        "yubl_id": f"{time.time_ns() // 1_000_000:013d}-{uuid.uuid4().hex[:12]}",
        "author_id": author,
        "text": text,
        "posted_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
    }
    return {"type": "yubl-posted", "yubl": {**yubl, **changes}}


def _dead_letters(sqs, url: str, expected: int, timeout: float = 120) -> list[dict]:
    found: list[dict] = []
    deadline = time.monotonic() + timeout
    while len(found) < expected and time.monotonic() < deadline:
        for message in sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=300
        ).get("Messages", []):
            found.append(json.loads(message["Body"]))
    return found


def test_bad_stream_records_are_dead_lettered_with_their_reason_and_neighbours_delivered(
    fuzzer: Fuzzer,
    stack_process: StackProcess,
) -> None:
    author, follower = f"a{uuid.uuid4().hex[:10]}", f"f{uuid.uuid4().hex[:10]}"
    signed_in = {"Authorization": f"Bearer {fuzzer.token(follower)}"}
    fuzzer.token(author)  # a follow names users who exist
    follow = requests.put(
        f"{fuzzer.api_url}/users/{author}/followers/{follower}", headers=signed_in, timeout=30
    )
    assert follow.status_code == 204
    session = boto3.Session(**_credentials(stack_process.aws_endpoint))
    kinesis = session.client("kinesis", endpoint_url=stack_process.aws_endpoint)
    sqs = session.client("sqs", endpoint_url=stack_process.aws_endpoint)
    dlq = sqs.get_queue_url(QueueName="yubl-dead-letters-local")["QueueUrl"]
    bad = {
        "not-json": b"Hello, this is a test 123.",
        "wrong-type": json.dumps(_posted(author, "x", author_id=42)).encode(),
        "missing-field": json.dumps(
            {"type": "yubl-posted", "yubl": {"author_id": author}}
        ).encode(),
        "one-mb": json.dumps(_posted(author, "a" * 1_000_000)).encode(),
        "unknown-type": json.dumps({**_posted(author, "x"), "type": "yubl-liked"}).encode(),
    }
    good = [_posted(author, f"neighbour {n}") for n in range(len(bad) + 1)]
    records = [json.dumps(good[0]).encode()]
    for n, data in enumerate(bad.values(), start=1):
        records += [data, json.dumps(good[n]).encode()]
    for data in records:
        kinesis.put_record(StreamName="yubl-posted-local", Data=data, PartitionKey=author)

    def feed() -> set[str]:
        page = requests.get(
            f"{fuzzer.api_url}/users/{follower}/feed?limit=100", headers=signed_in, timeout=30
        )
        return {item["yubl_id"] for item in page.json()["items"]}

    expected = {event["yubl"]["yubl_id"] for event in good}
    wait_for(lambda: feed() == expected, 180, "the neighbours in the follower's feed")
    dead = _dead_letters(sqs, dlq, len(bad))
    dead += _dead_letters(sqs, dlq, 1, timeout=3)  # anything more would be a duplicate
    reasons = sorted(letter["error"]["message"] for letter in dead)
    assert reasons == sorted(
        [
            "data: record data is not JSON (Expecting value: line 1 column 1 (char 0))",
            "yubl.author_id: must be a string",
            "yubl.yubl_id: must be a string",
            "yubl.text: must be 1-2000 characters",
            "type: has no route: 'yubl-liked' (routed: user-deleted, yubl-deleted, yubl-posted)",
        ]
    )
