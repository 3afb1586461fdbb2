"""The local stack's user pool: made from the template's properties, found again by name."""

from __future__ import annotations

import boto3
import jwt
import pytest

from devstack.user_pool import create_user, ensure_user_pool, find_user_pool, main, sign_in

pytestmark = pytest.mark.emulator


def test_the_pool_and_client_carry_the_templates_properties(user_pool):
    cognito = boto3.client("cognito-idp")
    pool = cognito.describe_user_pool(UserPoolId=user_pool.pool_id)["UserPool"]
    assert pool["Name"] == "yubl-users-local"
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] == 12
    client = cognito.describe_user_pool_client(
        UserPoolId=user_pool.pool_id, ClientId=user_pool.client_id
    )["UserPoolClient"]
    assert client["ClientName"] == "yubl-app-local"
    assert sorted(client["ExplicitAuthFlows"]) == [
        "ALLOW_REFRESH_TOKEN_AUTH",
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_USER_SRP_AUTH",
    ]


def test_ensuring_the_pool_again_finds_the_same_one(user_pool):
    cognito = boto3.client("cognito-idp")
    assert ensure_user_pool(cognito, "local") == user_pool
    assert find_user_pool(cognito, "local") == user_pool


def test_make_user_refuses_a_username_outside_the_id_format_and_creates_nothing(user_pool):
    cognito = boto3.client("cognito-idp")
    with pytest.raises(ValueError, match="must be 1-64 of"):
        create_user(cognito, user_pool, "has space")
    users = cognito.list_users(UserPoolId=user_pool.pool_id, Filter='username = "has space"')
    assert users["Users"] == []


def test_a_user_signs_in_with_the_pool_username_in_both_tokens(user_pool, unique):
    cognito = boto3.client("cognito-idp")
    create_user(cognito, user_pool, unique)
    create_user(cognito, user_pool, unique)  # again: idempotent
    tokens = sign_in(cognito, user_pool, unique)
    unverified = {"verify_signature": False}
    id_claims = jwt.decode(tokens["IdToken"], options=unverified)
    access_claims = jwt.decode(tokens["AccessToken"], options=unverified)
    assert (id_claims["cognito:username"], id_claims["aud"], id_claims["token_use"]) == (
        unique,
        user_pool.client_id,
        "id",
    )
    assert (access_claims["username"], access_claims["client_id"]) == (unique, user_pool.client_id)


def test_make_token_for_a_user_the_pool_lacks_says_to_run_make_user_first(
    user_pool, unique, capsys
):
    # GIVEN a name the pool does not hold (as after a restart: the pool keeps no users)
    name = f"carol-{unique}"
    # WHEN `make token NAME=<name>` runs THEN it fails with one line that names the fix
    assert main(["token", name]) == 2
    out, err = capsys.readouterr()
    assert (out, err) == (
        "",
        f"error: no user {name} in the local user pool (it keeps no users across a restart "
        f"of make run): run `make user NAME={name}` first\n",
    )
