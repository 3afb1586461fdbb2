"""Apply the declared settings to what ``chalice deploy`` created; change only what differs.

Chalice creates each event source mapping and SNS subscription with the decorator's
values only. This reads ``.chalice/deployed/<stage>.json`` to find them (so every
function Chalice deploys is covered with no list here), compares each declared setting
with what Lambda and SNS report, and updates only the ones that differ: a second run
changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from deploy.consumer import MappingPlan, plan_mappings
from deploy.declared import Declared, declared_settings, read_config
from local_runtime.destinations import resolve_destination

__all__ = [
    "Clients",
    "apply_declared",
    "deployed_functions",
    "deployed_kinds",
    "deployed_resources",
    "deployed_rest_api",
    "remove_consumer_mappings",
]

_EVENT_KINDS = {"kinesis_event": "kinesis", "sqs_event": "sqs", "sns_event": "sns"}
_INVOKE_KEYS = ("MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig")


class Clients:
    """The boto3 clients the apply step needs, from one session."""

    def __init__(self, session: Any) -> None:
        self.lambda_ = session.client("lambda")
        self.sns = session.client("sns")
        self.sqs = session.client("sqs")
        self.region = session.region_name
        self.account_id = session.client("sts").get_caller_identity()["Account"]


def deployed_resources(project_dir: Path, stage: str) -> list[dict[str, Any]]:
    path = project_dir / ".chalice" / "deployed" / f"{stage}.json"
    return list(json.loads(path.read_text()).get("resources", []))


def deployed_functions(project_dir: Path, stage: str) -> dict[str, str]:
    """Function name in the app -> deployed Lambda ARN, from Chalice's record of the stage."""
    return {
        r["name"]: r["lambda_arn"]
        for r in deployed_resources(project_dir, stage)
        if r["resource_type"] == "lambda_function"
    }


def deployed_rest_api(project_dir: Path, stage: str) -> str | None:
    """The REST API id Chalice deployed for ``stage``, if the app has routes."""
    for resource in deployed_resources(project_dir, stage):
        if resource["resource_type"] == "rest_api":
            return str(resource["rest_api_id"])
    return None


def deployed_kinds(resources: list[dict[str, Any]]) -> dict[str, tuple[str, dict[str, Any]]]:
    """Function name -> (event kind, Chalice's deployed record of that event source)."""
    names = {
        r["lambda_arn"]: r["name"] for r in resources if r["resource_type"] == "lambda_function"
    }
    found = {}
    for resource in resources:
        kind = _EVENT_KINDS.get(resource["resource_type"])
        if kind and resource.get("lambda_arn") in names:
            found[names[resource["lambda_arn"]]] = (kind, resource)
    return found


def _normal(value: Any) -> Any:
    """Comparable form: no empty objects; filter patterns and policies as parsed JSON."""
    if isinstance(value, Mapping):
        out = {k: _normal(v) for k, v in value.items() if v not in ({}, None)}
        if "Pattern" in out and isinstance(out["Pattern"], str):
            out["Pattern"] = json.loads(out["Pattern"])
        return out
    if isinstance(value, list):
        return [_normal(v) for v in value]
    return value


def _resolved(item: Declared, clients: Clients) -> dict[str, Any]:
    out = dict(item.settings)
    for which, target in dict(item.settings.get("DestinationConfig") or {}).items():
        destination = resolve_destination(
            item.function,
            target["Destination"],
            sqs=clients.sqs,
            sns=clients.sns,
            region=clients.region,
            account_id=clients.account_id,
        )
        out["DestinationConfig"] = {
            **out["DestinationConfig"],
            which: {"Destination": destination.arn},
        }
    out.pop("StartingPositionTimestamp", None)  # a create-time setting: Chalice sets the position
    return out


def _differences(current: Mapping[str, Any], desired: Mapping[str, Any]) -> dict[str, Any]:
    changed = {}
    for key, value in desired.items():
        if key == "Enabled":
            now = current.get("State") in ("Enabled", "Enabling", "Updating")
            if now != value:
                changed[key] = value
        elif _normal(current.get(key)) != _normal(value):
            changed[key] = value
    return changed


def _apply_mapping(
    item: Declared, arn: str, desired: dict[str, Any], clients: Clients, consumer: str | None
) -> list[str]:
    changes = []
    mappings = clients.lambda_.list_event_source_mappings(FunctionName=arn)["EventSourceMappings"]
    if item.kind != "kinesis":
        keep, plan = [m["UUID"] for m in mappings], MappingPlan()
    else:
        plan = plan_mappings(arn, mappings, consumer, desired.get("Enabled", True))
        keep = plan.keep
    if plan.create is not None:
        created = clients.lambda_.create_event_source_mapping(**{**plan.create, **desired})
        changes.append(f"{item.function}: mapping {created['UUID']} on {consumer} created")
    for uuid, enabled in plan.enable.items():
        clients.lambda_.update_event_source_mapping(UUID=uuid, Enabled=enabled)
        changes.append(f"{item.function}: mapping {uuid} {'en' if enabled else 'dis'}abled")
    for uuid in plan.delete:
        clients.lambda_.delete_event_source_mapping(UUID=uuid)
        changes.append(f"{item.function}: mapping {uuid} on a consumer no longer declared deleted")
    for uuid in keep:
        current = clients.lambda_.get_event_source_mapping(UUID=uuid)
        diff = _differences(current, desired)
        if diff:
            clients.lambda_.update_event_source_mapping(UUID=uuid, **diff)
            changes.append(f"{item.function}: mapping {uuid} set {sorted(diff)}")
    return changes


def remove_consumer_mappings(lambda_: Any, functions: list[str]) -> list[str]:
    """Delete the functions' mappings on stream consumers (made by the apply step, so
    ``chalice delete`` does not know them; Lambda keeps a function's mappings after it)."""
    removed = []
    for function in functions:
        listed = lambda_.list_event_source_mappings(FunctionName=function)["EventSourceMappings"]
        for mapping in listed:
            if "/consumer/" in mapping["EventSourceArn"]:
                lambda_.delete_event_source_mapping(UUID=mapping["UUID"])
                removed.append(f"{function}: mapping {mapping['UUID']} on a consumer deleted")
    return removed


def _apply_async(item: Declared, arn: str, desired: dict[str, Any], clients: Clients) -> list[str]:
    if not desired:
        return []
    try:
        current = clients.lambda_.get_function_event_invoke_config(FunctionName=arn)
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
            raise
        current = {}
    wanted = {key: desired[key] for key in _INVOKE_KEYS if key in desired}
    if not _differences(current, wanted):
        return []
    clients.lambda_.put_function_event_invoke_config(FunctionName=arn, **wanted)
    return [f"{item.function}: event-invoke config set {sorted(wanted)}"]


def _apply_subscription(item: Declared, record: Mapping[str, Any], clients: Clients) -> list[str]:
    changes = []
    subscription = record["subscription_arn"]
    current = clients.sns.get_subscription_attributes(SubscriptionArn=subscription)["Attributes"]
    for key, value in item.subscription.items():
        wanted = json.dumps(value) if key == "FilterPolicy" else str(value)
        now = current.get(key)
        same = json.loads(now) == value if key == "FilterPolicy" and now else now == wanted
        if not same:
            clients.sns.set_subscription_attributes(
                SubscriptionArn=subscription, AttributeName=key, AttributeValue=wanted
            )
            changes.append(f"{item.function}: subscription {key} set")
    return changes


def apply_declared(
    project_dir: Path,
    stage: str,
    clients: Clients,
    say: Callable[[str], None] = print,
    consumer_arn: str | None = None,
) -> list[str]:
    """Bring every deployed mapping, event-invoke config and subscription to the declaration;
    the stream's reader reads through ``consumer_arn`` if given (``deploy/consumer.py``)."""
    resources = deployed_resources(project_dir, stage)
    kinds = deployed_kinds(resources)
    arns = deployed_functions(project_dir, stage)
    declared = declared_settings(
        read_config(project_dir), stage, {f: k for f, (k, _) in kinds.items()}
    )
    changes: list[str] = []
    for item in declared:
        desired = _resolved(item, clients)
        arn = arns[item.function]
        if item.kind == "sns":
            changes += _apply_async(item, arn, desired, clients)
            changes += _apply_subscription(item, kinds[item.function][1], clients)
        else:
            changes += _apply_mapping(item, arn, desired, clients, consumer_arn)
    for line in changes or [f"{stage}: every declared event-source setting already in place"]:
        say(line)
    return changes
