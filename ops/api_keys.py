"""``python -m ops.api_keys``: create, list and revoke the config service's API keys.

    python -m ops.api_keys create --scopes read,write --prefix fanout. [--stage local]
    python -m ops.api_keys list [--stage local]
    python -m ops.api_keys revoke KEY_ID [--stage local]

``create`` prints the new key as the last line of its output: it is shown once, only its
hash is stored. The table comes from the stage in ``.chalice/config.json``, the endpoint
from the standard SDK variables (``make api-key`` points them at the local emulator).
On a stage with ``CONFIG_GATEWAY_API_KEYS=true`` the key is also made an API Gateway API
key with the same value and added to the stage's usage plan (created on first use, with
per-key throttling), and ``revoke`` deletes that gateway key too.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import boto3

from chalicelib.config.service import ApiKeyService
from chalicelib.config.settings import route_guards
from chalicelib.config.wiring import api_key_service
from chalicelib.domain.errors import DomainError

__all__ = ["GatewayKeys", "main", "stage_environment"]

PROJECT_DIR = Path(__file__).resolve().parent.parent


def stage_environment(stage: str) -> dict[str, str]:
    """The stage's environment variables as .chalice/config.json declares them."""
    config = json.loads((PROJECT_DIR / ".chalice" / "config.json").read_text())
    try:
        stage_env = config["stages"][stage]["environment_variables"]
    except KeyError:
        raise SystemExit(f"no stage {stage!r} in .chalice/config.json") from None
    return {**config["environment_variables"], **stage_env}


class GatewayKeys:
    """API Gateway API keys that mirror config API keys, in one usage plan per stage."""

    def __init__(self, apigateway: Any, stage: str, rest_api_id: str, api_stage: str) -> None:
        self._apigateway = apigateway
        self._stage = stage
        self._rest_api_id = rest_api_id
        self._api_stage = api_stage

    @property
    def plan_name(self) -> str:
        return f"yubl-config-{self._stage}"

    def _key_name(self, key_id: str) -> str:
        return f"yubl-config-{self._stage}-{key_id}"

    def _plan_id(self) -> str | None:
        for plan in self._apigateway.get_usage_plans(limit=500).get("items", []):
            if plan["name"] == self.plan_name:
                return str(plan["id"])
        return None

    def usage_plan(self, rate: float, burst: int) -> str:
        """The id of the stage's usage plan, created with this throttling if missing."""
        found = self._plan_id()
        if found is not None:
            return found
        plan = self._apigateway.create_usage_plan(
            name=self.plan_name,
            description="Config service API keys: throttling per key",
            apiStages=[{"apiId": self._rest_api_id, "stage": self._api_stage}],
            throttle={"rateLimit": rate, "burstLimit": burst},
        )
        return str(plan["id"])

    def add(self, key_id: str, value: str, rate: float = 50.0, burst: int = 100) -> str:
        plan_id = self.usage_plan(rate, burst)
        created = self._apigateway.create_api_key(
            name=self._key_name(key_id), value=value, enabled=True
        )
        self._apigateway.create_usage_plan_key(
            usagePlanId=plan_id, keyId=created["id"], keyType="API_KEY"
        )
        return str(created["id"])

    def remove(self, key_id: str) -> int:
        name = self._key_name(key_id)
        found = self._apigateway.get_api_keys(nameQuery=name, limit=500).get("items", [])
        mine = [k for k in found if k["name"] == name]
        plan_id = self._plan_id()
        for key in mine:
            if plan_id is not None:
                self._apigateway.delete_usage_plan_key(usagePlanId=plan_id, keyId=key["id"])
            self._apigateway.delete_api_key(apiKey=key["id"])
        return len(mine)


def _rest_api_id(apigateway: Any, stage: str, app_name: str) -> str:
    """The stage's REST API: from Chalice's deployed record, else by the app's name."""
    deployed = PROJECT_DIR / ".chalice" / "deployed" / f"{stage}.json"
    if deployed.exists():
        for resource in json.loads(deployed.read_text()).get("resources", []):
            if resource.get("resource_type") == "rest_api":
                return str(resource["rest_api_id"])
    for api in apigateway.get_rest_apis(limit=500).get("items", []):
        if api["name"] == app_name:
            return str(api["id"])
    raise SystemExit(f"no REST API {app_name!r} for stage {stage!r}: run make deploy first")


def _gateway(stage: str) -> GatewayKeys | None:
    if not route_guards()[0]:
        return None
    config = json.loads((PROJECT_DIR / ".chalice" / "config.json").read_text())
    apigateway = boto3.client("apigateway")
    api_stage = config["stages"][stage].get("api_gateway_stage", "api")
    return GatewayKeys(
        apigateway, stage, _rest_api_id(apigateway, stage, config["app_name"]), api_stage
    )


def _create(keys: ApiKeyService, args: argparse.Namespace) -> None:
    api_key, value = keys.create(args.scopes, args.prefix, args.description)
    gateway = _gateway(args.stage)
    print(
        f"created API key {api_key.key_id} (scopes {','.join(sorted(api_key.scopes))}, "
        f"prefix {api_key.prefix!r}) on stage {args.stage}; it is shown once, keep it secret"
    )
    if gateway is not None:
        gateway_id = gateway.add(api_key.key_id, value, args.rate, args.burst)
        print(f"API Gateway key {gateway_id} added to usage plan {gateway.plan_name}")
    print(value)


def _list(keys: ApiKeyService) -> None:
    print(f"{'KEY ID':14}{'SCOPES':12}{'PREFIX':24}{'CREATED':22}STATE")
    for k in keys.all_keys():
        state = "revoked" if k.revoked else "active"
        print(
            f"{k.key_id:14}{','.join(sorted(k.scopes)):12}{k.prefix!r:24}{k.created_at:22}{state}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ops.api_keys", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--stage", default="local")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="a new key, printed as the last line")
    create.add_argument("--scopes", default="read", help="read, write or read,write")
    create.add_argument("--prefix", default="", help="the config keys it may touch")
    create.add_argument("--description", default="")
    create.add_argument("--rate", type=float, default=50.0, help="gateway requests/s per key")
    create.add_argument("--burst", type=int, default=100, help="gateway burst per key")
    commands.add_parser("list", help="every key: id, scopes, prefix, state (never the key)")
    revoke = commands.add_parser("revoke", help="refuse a key from now on")
    revoke.add_argument("key_id")
    args = parser.parse_args(argv)

    os.environ.update(stage_environment(args.stage))
    keys = api_key_service()
    try:
        if args.command == "create":
            _create(keys, args)
        elif args.command == "list":
            _list(keys)
        else:
            keys.revoke(args.key_id)
            gateway = _gateway(args.stage)
            removed = gateway.remove(args.key_id) if gateway is not None else 0
            print(f"revoked {args.key_id}" + (f" and its {removed} gateway key" if removed else ""))
    except DomainError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
