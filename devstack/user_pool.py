"""The stage's Cognito user pool on the emulator, and signing users in like a client.

The emulator's CloudFormation skips ``AWS::Cognito::*`` resources, so the pool and its
app client are created here through the Cognito API, from the properties the
template gives them (one source of truth). Also ``python -m devstack.user_pool``:
``create NAME`` (``make user``) and ``token NAME`` (``make token``) print a fresh id
token as the last line.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import yaml
from botocore.exceptions import ClientError

from .infra import TEMPLATE_PATH

__all__ = [
    "LOCAL_PASSWORD",
    "UserPool",
    "create_user",
    "ensure_user_pool",
    "find_user_pool",
    "identity_environment",
    "sign_in",
    "user_exists",
]

# every local user's password: the local pool holds only throwaway users
LOCAL_PASSWORD = "Local-yubl-passw0rd"
_USER_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True)
class UserPool:
    pool_id: str
    client_id: str


class _CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags (``!Sub`` -> ``{"Fn::Sub": ...}``)."""


def _intrinsic(loader: yaml.Loader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {"Ref" if suffix == "Ref" else f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _intrinsic)


def _resolve(value: Any, parameters: dict[str, str]) -> Any:
    """Resolve ``Fn::Sub`` and ``Ref`` of parameters; the pool's properties use no more."""
    if isinstance(value, dict):
        if set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
            return re.sub(r"\$\{(\w+)\}", lambda m: parameters[m.group(1)], value["Fn::Sub"])
        if set(value) == {"Ref"} and value["Ref"] in parameters:
            return parameters[value["Ref"]]
        return {k: _resolve(v, parameters) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, parameters) for v in value]
    return value


def _template_properties(stage: str, template: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    resources = yaml.load(template.read_text(), Loader=_CfnLoader)["Resources"]
    [pool] = [r for r in resources.values() if r["Type"] == "AWS::Cognito::UserPool"]
    [client] = [r for r in resources.values() if r["Type"] == "AWS::Cognito::UserPoolClient"]
    parameters = {"Stage": stage}
    return _resolve(pool["Properties"], parameters), _resolve(client["Properties"], parameters)


def find_user_pool(cognito: Any, stage: str, template: Path = TEMPLATE_PATH) -> UserPool | None:
    """The stage's pool and app client, found by the names the template gives them."""
    pool_props, client_props = _template_properties(stage, template)
    pools = cognito.get_paginator("list_user_pools").paginate(MaxResults=60)
    pool_id = next(
        (
            p["Id"]
            for page in pools
            for p in page["UserPools"]
            if p["Name"] == pool_props["UserPoolName"]
        ),
        None,
    )
    if pool_id is None:
        return None
    clients = cognito.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)
    client_id = next(
        (
            c["ClientId"]
            for c in clients["UserPoolClients"]
            if c["ClientName"] == client_props["ClientName"]
        ),
        None,
    )
    return None if client_id is None else UserPool(pool_id, client_id)


def ensure_user_pool(cognito: Any, stage: str, template: Path = TEMPLATE_PATH) -> UserPool:
    """Create the template's pool and client unless the emulator holds them already."""
    found = find_user_pool(cognito, stage, template)
    if found is not None:
        return found
    pool_props, client_props = _template_properties(stage, template)
    # the API spells the pool's name PoolName; every other property has its API name.
    # LambdaConfig is left out: moto never runs triggers (create_user applies the rule)
    pool_args = {
        ("PoolName" if k == "UserPoolName" else k): v
        for k, v in pool_props.items()
        if k != "LambdaConfig"
    }
    pool_id = cognito.create_user_pool(**pool_args)["UserPool"]["Id"]
    client_args = {**client_props, "UserPoolId": pool_id}
    client_id = cognito.create_user_pool_client(**client_args)["UserPoolClient"]["ClientId"]
    return UserPool(pool_id, client_id)


def identity_environment(pool: UserPool, endpoint_url: str) -> dict[str, str]:
    """The identity settings of the local stage: this pool, its keys at the emulator."""
    return {
        "USER_POOL_ID": pool.pool_id,
        "USER_POOL_CLIENT_ID": pool.client_id,
        "USER_POOL_JWKS_URL": f"{endpoint_url}/{pool.pool_id}/.well-known/jwks.json",
    }


def _check_username(username: str) -> None:
    if not _USER_ID.fullmatch(username):
        raise ValueError(f"username {username!r} must be 1-64 of A-Z, a-z, 0-9, '_' or '-'")


def create_user(
    cognito: Any, pool: UserPool, username: str, password: str = LOCAL_PASSWORD
) -> None:
    """A confirmed user with a permanent password (idempotent). Refuses other usernames."""
    _check_username(username)
    try:
        cognito.admin_create_user(
            UserPoolId=pool.pool_id, Username=username, MessageAction="SUPPRESS"
        )
    except ClientError as err:
        if err.response["Error"]["Code"] != "UsernameExistsException":
            raise
    cognito.admin_set_user_password(
        UserPoolId=pool.pool_id, Username=username, Password=password, Permanent=True
    )


def user_exists(cognito: Any, pool: UserPool, username: str) -> bool:
    """Whether the pool holds ``username`` (asked through the admin API: the app client
    hides it, PreventUserExistenceErrors)."""
    try:
        cognito.admin_get_user(UserPoolId=pool.pool_id, Username=username)
    except ClientError as err:
        if err.response["Error"]["Code"] == "UserNotFoundException":
            return False
        raise
    return True


def sign_in(cognito: Any, pool: UserPool, username: str, password: str = LOCAL_PASSWORD) -> dict:
    """Sign in as a client does (USER_PASSWORD_AUTH); the AuthenticationResult."""
    answer = cognito.initiate_auth(
        ClientId=pool.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )
    return dict(answer["AuthenticationResult"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.user_pool", description=__doc__)
    parser.add_argument("command", choices=["create", "token"])
    parser.add_argument("name", help="the username: 1-64 of A-Z, a-z, 0-9, '_' or '-'")
    parser.add_argument("--stage", default="local")
    parser.add_argument("--no-token", action="store_true", help="create: do not sign in")
    args = parser.parse_args(argv)
    cognito = boto3.client("cognito-idp")
    try:
        pool = find_user_pool(cognito, args.stage)
    except Exception as err:  # the usual cause: the local stack is not running
        print(f"cannot reach the user pool: {err} (is `make run` up?)", file=sys.stderr)
        return 1
    if pool is None:
        print(f"no user pool for stage {args.stage}: start the stack (make run)", file=sys.stderr)
        return 1
    try:
        if args.command == "create":
            create_user(cognito, pool, args.name)
            print(f"user {args.name} is in pool {pool.pool_id} (password {LOCAL_PASSWORD})")
            if args.no_token:
                return 0
        else:
            _check_username(args.name)
            if not user_exists(cognito, pool, args.name):
                print(
                    f"error: no user {args.name} in the local user pool (it keeps no users "
                    f"across a restart of make run): run `make user NAME={args.name}` first",
                    file=sys.stderr,
                )
                return 2
        tokens = sign_in(cognito, pool, args.name)
    except (ValueError, ClientError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"id token of {args.name}, valid {tokens['ExpiresIn']} s:")
    print(tokens["IdToken"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
