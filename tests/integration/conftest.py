"""Integration fixtures: the real infrastructure template deployed on the emulator."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator

import boto3
import pytest
from chalice.test import Client

from chalicelib.adapters.users_table import DynamoUserStore, bind_user_model
from devstack.infra import deploy_stack
from devstack.stack import PROJECT_DIR, check_stage_settings
from devstack.user_pool import (
    UserPool,
    create_user,
    ensure_user_pool,
    identity_environment,
    sign_in,
)
from ops.accounts import named_users, register_all
from tests.chalice_app import load_app
from tests.written_state import WrittenState, stage_resources

STAGE = "local"
USERS_TABLE = "users-local"


@pytest.fixture(scope="session")
def stack_outputs(emulator_endpoint: str) -> dict[str, str]:
    """Deploy infra/resources.yaml for the local stage; the outputs by key."""
    outputs = deploy_stack(
        boto3.client("cloudformation"), STAGE, sns=boto3.client("sns"), sqs=boto3.client("sqs")
    )
    check_stage_settings(outputs, STAGE, PROJECT_DIR)
    return outputs


@pytest.fixture(scope="session")
def user_pool(emulator_endpoint: str) -> UserPool:
    """The template's user pool and app client, created as the local stack creates them."""
    return ensure_user_pool(boto3.client("cognito-idp"), STAGE)


@pytest.fixture(scope="module")
def stage_environment(
    stack_outputs: dict[str, str], user_pool: UserPool, emulator_endpoint: str
) -> Iterator[dict[str, str]]:
    """The local stage's variables from .chalice/config.json, set as Chalice would set them.

    Plus the identity settings the local stack fills in (the pool's ids, its JWKS URL).
    Per module, not per session: the table names must not stay set for the modules after
    it (they changed what tests/e2e/test_bench_smoke.py counted).
    """
    config = json.loads((PROJECT_DIR / ".chalice" / "config.json").read_text())
    env = {
        **config["environment_variables"],
        **config["stages"][STAGE]["environment_variables"],
        **identity_environment(user_pool, emulator_endpoint),
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        yield env


@pytest.fixture(scope="module")
def written(stage_environment: dict[str, str]) -> WrittenState:
    """Every table, queue, stream and bucket of the template, for "writes nothing" checks."""
    return WrittenState(stage_resources(STAGE))


@pytest.fixture
def unique() -> str:
    """A fresh id prefix, so tests sharing tables never see each other's rows."""
    return uuid.uuid4().hex[:10]


@pytest.fixture(scope="session")
def account(user_pool: UserPool) -> Callable[[str], str]:
    """``account(name)``: a user of the pool with its users row, made as ``make user``
    makes one (AdminCreateUser, then the row through ``ops.accounts``); the name back."""
    cognito = boto3.client("cognito-idp")
    store = DynamoUserStore(bind_user_model(USERS_TABLE))
    made: set[str] = set()

    def make(name: str) -> str:
        if name not in made:
            create_user(cognito, user_pool, name)
            register_all(store, named_users(cognito, user_pool.pool_id, [name]))
            made.add(name)
        return name

    return make


@pytest.fixture(scope="session")
def signed_in(
    user_pool: UserPool, account: Callable[[str], str]
) -> Callable[[str], dict[str, str]]:
    """``signed_in(name)``: the Authorization header of a user of the pool, signed in
    through the app client like a client would (the account is made on first use)."""
    cognito = boto3.client("cognito-idp")
    headers: dict[str, dict[str, str]] = {}

    def headers_for(name: str) -> dict[str, str]:
        if name not in headers:
            account(name)
            token = sign_in(cognito, user_pool, name)["IdToken"]
            headers[name] = {"Authorization": f"Bearer {token}"}
        return headers[name]

    return headers_for


@pytest.fixture(scope="module")
def app_client(stage_environment: dict[str, str]) -> Iterator[Client]:
    """Chalice's test client of the project's app, under the local stage's environment."""
    with Client(load_app(), stage_name="local", project_dir=str(PROJECT_DIR)) as client:
        yield client
