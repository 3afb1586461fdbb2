"""Schemathesis over openapi.yaml against a running stack, and what every answer must keep.

The contract checked on each case: never a 5xx; every 4xx is the one JSON error body
with a message (the shortener's HTML pages excepted); and a rejected request wrote
nothing: every table, bucket and stream of the template is unchanged, but the tables
the event functions write in the background (``BACKGROUND``), which only the stream
can start.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from devstack.stack import PROJECT_DIR
from devstack.user_pool import UserPool, create_user, sign_in
from ops.accounts import named_users, register_all
from tests.e2e.conftest import stack_user_pool, users_table
from tests.written_state import WrittenState, stage_resources

USER_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")  # the pool's usernames (sign-in refuses others)

__all__ = ["Fuzzer", "PoolTokens", "api_written_state"]

BACKGROUND = (
    "table:feeds-local",
    "table:notifications-local",
    "table:posts-local",
    "table:fanout-progress-local",
    "bucket:yubl-archive-local",
)
"""Written by the event functions, in the background, from the events of earlier valid
cases: left out of a case's check, which still reads the stream every such write starts
from (a case that put nothing on the stream started none of them)."""
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


class PoolTokens:
    """The bearer token a signed-in ``user_id`` sends: each valid id is signed up in the
    stack's pool, given its users row as ``make user`` gives it, and signed in once; an id
    no user can have gets no token. The pool is looked up once: the fuzzer meets a new user
    id in most cases."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.tokens: dict[str, str | None] = {}
        self.signed_up = 0  # users made so far: each wrote a users row
        self._pool: tuple[Any, UserPool] | None = None

    def __call__(self, user_id: str) -> str | None:
        if user_id not in self.tokens:
            if USER_ID.fullmatch(user_id):
                if self._pool is None:
                    self._pool = stack_user_pool(self.endpoint)
                cognito, pool = self._pool
                create_user(cognito, pool, user_id)
                users = users_table(self.endpoint)
                register_all(users, named_users(cognito, pool.pool_id, [user_id]))
                self.signed_up += 1
                self.tokens[user_id] = sign_in(cognito, pool, user_id)["IdToken"]
            else:
                self.tokens[user_id] = None
        return self.tokens[user_id]


def api_written_state(session: boto3.Session, endpoint: str) -> WrittenState:
    """Every table, bucket and stream of the template but the ``BACKGROUND`` ones; not
    the queues, which the stack's runtime keeps moving."""
    resources = stage_resources("local").without(*BACKGROUND)
    return WrittenState(resources, session=session, endpoint_url=endpoint, queues=False)


def erasure_ended(dynamodb: Any, user_id: str) -> bool:
    """Whether a deleted account's deletion has ended (its users row's ``erased_at``)."""
    item = dynamodb.get_item(
        TableName="users-local", Key={"user_id": {"S": user_id}}, ConsistentRead=True
    ).get("Item", {})
    return "erased_at" in item


def html_allowed(method: str, path: str, headers: dict[str, Any]) -> bool:
    """The shortener's pages: a form post, or an unknown code asked for by a browser."""
    content_type = str(headers.get("Content-Type") or headers.get("content-type") or "")
    accept = str(headers.get("Accept") or headers.get("accept") or "")
    if method == "POST" and path == "/":
        return not content_type.startswith("application/json")
    return method in ("GET", "HEAD") and "text/html" in accept


def error_body_problem(
    response: schemathesis.Response, html_ok: bool, head: bool = False
) -> str | None:
    """Why a 4xx is not the API's error body (for a HEAD: its headers, and no body at
    all), or None when it is."""
    headers = {name.lower(): values for name, values in response.headers.items()}
    content_type = (headers.get("content-type") or [""])[0]
    if head and response.content:
        return f"a HEAD answer has a body: {response.content[:200]!r}"
    if html_ok and content_type.startswith("text/html"):
        return None
    if not content_type.startswith("application/json"):
        return f"Content-Type {content_type!r} is not application/json"
    if head:
        return None
    try:
        body = response.json()
    except ValueError:
        return f"body is not JSON: {response.text[:200]!r}"
    if not isinstance(body, dict) or not isinstance(body.get("error"), str) or not body["error"]:
        return f"body is not {{'error': <message>}}: {body!r}"
    return None


@dataclass
class Fuzzer:
    """Runs ``examples`` generated cases per operation and generation mode."""

    api_url: str
    api_key: str
    state: WrittenState
    token: Callable[[str], str | None]
    erased: Callable[[str], bool]  # whether an account's deletion has ended
    cases: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    # the state after the last case, while no case since wrote (a 4xx wrote nothing, as
    # checked): it is the next case's state before, so it is not read again
    _unchanged: dict[str, str] | None = None

    def schema(self) -> Any:
        schema = schemathesis.openapi.from_path(PROJECT_DIR / "openapi.yaml")
        schema.config.update(base_url=self.api_url)
        return schema

    def run(self, examples: int) -> None:
        for result in self.schema().get_all_operations():
            operation = result.ok()
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                self._run_operation(operation, mode, examples)

    def _run_operation(self, operation: Any, mode: GenerationMode, examples: int) -> None:
        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate, Phase.shrink],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def one(case: Any) -> None:
            self.check(case)

        try:
            one()
        except Unsatisfiable:
            # an operation without parameters or body has no invalid input to generate
            if mode is GenerationMode.POSITIVE:
                raise

    def _headers(self, case: Any) -> dict[str, str]:
        headers: dict[str, str] = {}
        path = case.operation.path
        if path.startswith("/config"):
            headers["x-api-key"] = self.api_key
        elif "user_id" in (case.path_parameters or {}) or path == "/yubls":
            user = (case.path_parameters or {}).get("user_id")
            if user is None and isinstance(case.body, dict):
                user = case.body.get("author_id")
            token = self.token(str(user))
            if token is not None:
                headers["Authorization"] = f"Bearer {token}"
        # valid credentials win for valid cases; invalid cases keep their broken ones
        if case.meta is not None and case.meta.generation.mode is GenerationMode.NEGATIVE:
            return {**headers, **(case.headers or {})}
        return {**(case.headers or {}), **headers}

    def check(self, case: Any) -> None:
        signed_up = getattr(self.token, "signed_up", 0)
        headers = self._headers(case)  # first: signing a new user up writes its users row
        if getattr(self.token, "signed_up", 0) != signed_up:
            self._unchanged = None
        before, self._unchanged = self._unchanged or self.state.snapshot(), None
        response = case.call(headers=headers, timeout=60, allow_redirects=False)
        self.cases += 1
        self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1
        case.validate_response(response, checks=CHECKS, headers=headers)
        if case.operation.definition.raw.get("operationId") == "delete_account" and (
            response.status_code == 202
        ):
            self._settle_deletion(response.json()["user_id"])
        if 400 <= response.status_code < 500:
            sent = {**response.request.headers}
            method = case.method.upper()
            html_ok = html_allowed(method, case.operation.path, sent)
            problem = error_body_problem(response, html_ok, head=method == "HEAD")
            assert problem is None, f"{_sent(response)} -> {response.status_code}: {problem}"
            after = self.state.snapshot()
            wrote = sorted(name for name in before if before[name] != after.get(name))
            assert wrote == [], f"{_sent(response)} -> {response.status_code}: wrote {wrote}"
            self._unchanged = after

    def _settle_deletion(self, user_id: str) -> None:
        """A deletion goes on after its 202 (``user-deleted``): wait for its end, so its
        writes are not counted against the cases that follow."""
        deadline = time.monotonic() + 120
        while not self.erased(user_id):
            assert time.monotonic() < deadline, f"the deletion of {user_id} did not end"
            time.sleep(0.25)


def _sent(response: schemathesis.Response) -> str:
    request = response.request
    body = request.body if isinstance(request.body, bytes | None) else request.body.encode()
    return f"{request.method} {request.url} {dict(request.headers)} {(body or b'')[:300]!r}"
