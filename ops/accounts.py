"""``python -m ops.accounts``: users rows for accounts the sign-up trigger never saw.

    python -m ops.accounts backfill [--stage local]
    python -m ops.accounts register NAME ... [--stage local]

``backfill`` gives every confirmed user of the stage's pool (``yubl-users-<stage>``) its
row in the users table, for accounts made before the table existed; ``register`` does it
for the named users (``make user``: AdminCreateUser runs no trigger). Both write through
the users table's own ``register`` (``chalicelib/adapters/users_table.py``), the one the
trigger and the sign-in middleware use: inserted if absent, so a re-run keeps
``created_at`` (the pool's ``UserCreateDate``) and never touches a deleted row. Safe to
re-run; prints a progress line per 1,000 users and a summary. Table and pool come from
the stage (``.chalice/config.json``, the pool found by name); the endpoint from the
standard SDK variables.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.exceptions import ClientError

from chalicelib.adapters.users_table import DynamoUserStore, bind_user_model
from devstack.user_pool import find_user_pool

from .api_keys import stage_environment

__all__ = ["Registered", "confirmed_users", "main", "register_all"]

_UNCONFIRMED = "UNCONFIRMED"  # signed up, never confirmed: not an account yet


def _iso_millis(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def confirmed_users(cognito: Any, pool_id: str) -> Iterator[tuple[str, str]]:
    """(username, created_at) of every confirmed user of the pool (ListUsers, 60 a page)."""
    for page in cognito.get_paginator("list_users").paginate(UserPoolId=pool_id):
        for user in page["Users"]:
            if user.get("UserStatus") != _UNCONFIRMED:
                yield user["Username"], _iso_millis(user["UserCreateDate"])


def named_users(cognito: Any, pool_id: str, names: Iterable[str]) -> Iterator[tuple[str, str]]:
    """(username, created_at) of each named user the pool holds, confirmed (AdminGetUser)."""
    for name in names:
        try:
            user = cognito.admin_get_user(UserPoolId=pool_id, Username=name)
        except ClientError as err:
            if err.response["Error"]["Code"] != "UserNotFoundException":
                raise
            raise SystemExit(f"no user {name} in the pool (create it first: make user)") from None
        if user.get("UserStatus") != _UNCONFIRMED:
            yield name, _iso_millis(user["UserCreateDate"])


@dataclass
class Registered:
    users: int = 0
    written: int = 0

    @property
    def kept(self) -> int:
        return self.users - self.written


def register_all(store: DynamoUserStore, users: Iterable[tuple[str, str]]) -> Registered:
    done = Registered()
    for user_id, created_at in users:
        done.users += 1
        done.written += store.register(user_id, created_at)
        if done.users % 1000 == 0:
            print(f"{done.users:,} users, {done.written:,} rows written", flush=True)
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.accounts", description=__doc__)
    parser.add_argument("command", choices=["backfill", "register"])
    parser.add_argument("names", nargs="*", help="register: the usernames")
    parser.add_argument("--stage", default="local")
    args = parser.parse_args(argv)
    if args.command == "register" and not args.names:
        parser.error("register needs at least one username")
    env = stage_environment(args.stage)
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    cognito = boto3.client("cognito-idp")
    pool = find_user_pool(cognito, args.stage)
    if pool is None:
        print(f"no user pool for stage {args.stage} (is the stack up?)", file=sys.stderr)
        return 1
    store = DynamoUserStore(bind_user_model(env["USERS_TABLE"]))
    if args.command == "backfill":
        users = confirmed_users(cognito, pool.pool_id)
    else:
        users = named_users(cognito, pool.pool_id, args.names)
    done = register_all(store, users)
    print(
        f"{args.command}: {done.users:,} confirmed users, {done.written:,} rows written, "
        f"{done.kept:,} already there (kept as they were)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
