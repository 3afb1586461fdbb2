"""The whole local stack, started exactly as ``make run`` starts it, on free ports."""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from chalicelib.adapters.users_table import DynamoUserStore, bind_user_model
from devstack.emulator import aws_environment, endpoint_client
from devstack.user_pool import UserPool, create_user, find_user_pool, sign_in
from ops.accounts import named_users, register_all

from .stack_process import StackProcess


@dataclass
class RunningStack:
    api_url: str
    aws_endpoint: str
    log_file: Path
    output: list[str]
    monitor_url: str  # the operations page that make run serves

    @classmethod
    def of(cls, stack: StackProcess) -> RunningStack:
        return cls(
            api_url=stack.api_url,
            aws_endpoint=stack.aws_endpoint,
            log_file=stack.log_dir / "stack.log",
            output=stack.output,
            monitor_url=stack.monitor_url,
        )


@pytest.fixture(autouse=True)
def _stacks_stopped() -> Iterator[None]:
    """A stack a test started and did not stop (an assertion failed before its stop) is
    stopped when the test ends, instead of running on, orphaned, for the session."""
    before = len(StackProcess.started)
    yield
    for stack in StackProcess.started[before:]:
        stack.stop()
    del StackProcess.started[before:]


@pytest.fixture(scope="module")
def local_stack(stack_process: StackProcess) -> Iterator[RunningStack]:
    """The stack, with the SDK variables pointing at its emulator for this module only:
    the tests that run after it must reach their own emulator, not this stack's."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in aws_environment(stack_process.aws_endpoint).items():
            patch.setenv(name, value)
        yield RunningStack.of(stack_process)


CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
INSTALL_HINT = (
    "needs a system Chromium and Playwright: apt-get install -y chromium chromium-driver "
    "(Debian; .ci/run does this) and pip install -r requirements-dev.txt; "
    "or set CHROMIUM_PATH to a Chromium binary"
)


def _chromium_path() -> str | None:
    given = os.environ.get("CHROMIUM_PATH")
    if given:
        return given if os.access(given, os.X_OK) else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Headless Chromium from the system (Debian's ``chromium``), driven by Playwright;
    the test is skipped, saying how to install one, when there is none."""
    path = _chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip(f"Playwright is not installed: {INSTALL_HINT}")
    if path is None:
        pytest.skip(f"no Chromium found: {INSTALL_HINT}")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()


def wait_for(condition, timeout: float, what: str, interval: float = 0.25):
    """Poll ``condition`` until it returns a truthy value; fail naming ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def stack_user_pool(endpoint: str | None = None) -> tuple[Any, UserPool]:
    """A Cognito client of the running stack's emulator and the stack's pool.
    ``endpoint``: the emulator of a stack of the test's own (default: the module's)."""
    if endpoint is None:
        cognito = boto3.client("cognito-idp")
    else:
        cognito = endpoint_client(endpoint, "cognito-idp")
    pool = find_user_pool(cognito, "local")
    assert pool is not None, "the local stack has no user pool"
    return cognito, pool


def users_table(endpoint: str | None = None) -> DynamoUserStore:
    """The running stack's users table, through its own store (its conditions).
    ``endpoint``: the emulator of a stack of the test's own (default: the module's)."""
    model = bind_user_model("users-local")
    if endpoint is not None:  # before the model's first call: its connection is cached
        env = aws_environment(endpoint)
        model.Meta.host = endpoint
        model.Meta.region = env["AWS_DEFAULT_REGION"]
        model.Meta.aws_access_key_id = env["AWS_ACCESS_KEY_ID"]
        model.Meta.aws_secret_access_key = env["AWS_SECRET_ACCESS_KEY"]
    return DynamoUserStore(model)


def sign_in_users(
    names: Iterable[str], workers: int = 8, endpoint: str | None = None
) -> dict[str, dict[str, str]]:
    """Create each user in the running stack's pool, with its users row (as ``make user``
    does), and sign them in as a client would (USER_PASSWORD_AUTH): their
    ``Authorization`` headers by name, in parallel.
    ``endpoint``: the emulator of a stack of the test's own (default: the module's)."""
    cognito, pool = stack_user_pool(endpoint)
    users = users_table(endpoint)

    def one(name: str) -> tuple[str, dict[str, str]]:
        create_user(cognito, pool, name)
        register_all(users, named_users(cognito, pool.pool_id, [name]))
        return name, {"Authorization": f"Bearer {sign_in(cognito, pool, name)['IdToken']}"}

    with ThreadPoolExecutor(max_workers=workers) as threads:
        return dict(threads.map(one, names))


def author_with_followers(api_url: str, count: int) -> tuple[str, list[str], dict]:
    """A new author and ``count`` new followers, signed in, each following over HTTP:
    (author, followers, their ``Authorization`` headers by name)."""
    author = f"author-{uuid.uuid4().hex[:8]}"
    followers = [f"{author}-f{n}" for n in range(count)]
    tokens = sign_in_users([author, *followers])
    for follower in followers:
        follow = requests.put(
            f"{api_url}/users/{author}/followers/{follower}", headers=tokens[follower], timeout=30
        )
        assert follow.status_code == 204
    return author, followers, tokens


def log_lines(log_file: Path, correlation_id: str | None = None) -> list[dict[str, Any]]:
    """The JSON lines of the stack's log (those of one correlation id, when given)."""
    lines = []
    for raw in log_file.read_text().splitlines():
        try:
            line = json.loads(raw)
        except ValueError:
            continue
        if isinstance(line, dict) and (
            correlation_id is None or line.get("x-correlation-id") == correlation_id
        ):
            lines.append(line)
    return lines


def scan(table: str, condition: Any) -> list[dict[str, Any]]:
    """Every item of the stack's ``table`` that ``condition`` (a boto3 ``Attr``) keeps: a
    whole-table count, strongly consistent."""
    resource = boto3.resource("dynamodb").Table(table)
    rows: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"FilterExpression": condition, "ConsistentRead": True}
    while True:
        page = resource.scan(**kwargs)
        rows += page["Items"]
        if "LastEvaluatedKey" not in page:
            return rows
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
