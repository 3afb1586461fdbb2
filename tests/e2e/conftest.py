"""The whole local stack, started exactly as ``make run`` starts it, on free ports."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from chalicelib.adapters.users_table import DynamoUserStore, bind_user_model
from devstack.emulator import aws_environment
from devstack.user_pool import UserPool, create_user, find_user_pool, sign_in
from ops.accounts import named_users, register_all

from .stack_process import StackProcess


@dataclass
class RunningStack:
    api_url: str
    aws_endpoint: str
    log_file: Path
    output: list[str]


@pytest.fixture(scope="module")
def local_stack(stack_process: StackProcess) -> Iterator[RunningStack]:
    """The stack, with the SDK variables pointing at its emulator for this module only:
    the tests that run after it must reach their own emulator, not this stack's."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in aws_environment(stack_process.aws_endpoint).items():
            patch.setenv(name, value)
        yield RunningStack(
            api_url=stack_process.api_url,
            aws_endpoint=stack_process.aws_endpoint,
            log_file=stack_process.log_dir / "stack.log",
            output=stack_process.output,
        )


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
        env = aws_environment(endpoint)
        cognito = boto3.Session(
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
            region_name=env["AWS_DEFAULT_REGION"],
        ).client("cognito-idp", endpoint_url=endpoint)
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
