"""``make deploy`` and ``make destroy``: the resources stack, the Chalice app, the settings.

Every step is safe to re-run: the stack update is a no-op when nothing changed, the
stage's resource names are written only when they differ, ``chalice deploy`` updates in
place, and the apply step changes only settings that differ from the declaration.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError

from deploy.apply import (
    Clients,
    apply_declared,
    deployed_functions,
    deployed_kinds,
    deployed_resources,
    deployed_rest_api,
    remove_consumer_mappings,
)
from deploy.custom_domain import custom_domain, domain_settings
from deploy.declared import read_config
from deploy.gateway_responses import apply_gateway_responses
from deploy.monitoring import (
    DEFAULT_LOG_RETENTION_DAYS,
    ensure_stage_monitoring,
    remove_stage_monitoring,
)
from deploy.monitoring_settings import monitoring_settings
from deploy.names import load_cfn_yaml
from deploy.observed import Observed, configured_functions, observed_stage
from deploy.package import chalice_command
from deploy.stack_parameters import declared_parameters, stack_parameters, stream_consumer_name
from deploy.throttling import apply_throttling, stage_throttling
from devstack.infra import TEMPLATE_PATH, deploy_stack, stack_name
from devstack.stack import GENERATED_ID_SETTINGS, OUTPUT_SETTINGS

__all__ = ["deploy_stage", "destroy_stage", "write_stage_settings"]

STACK_TIMEOUT_SECONDS = 1800  # a first stack on AWS with a stream and tables takes minutes


def write_stage_settings(
    project_dir: Path, stage: str, outputs: Mapping[str, str]
) -> dict[str, str]:
    """Put the stack's resource names and generated ids (the user pool's), and the settings
    that follow from the stage's custom domain, into the stage's environment; return what
    changed."""
    path = project_dir / ".chalice" / "config.json"
    config = json.loads(path.read_text())
    env = config["stages"][stage].setdefault("environment_variables", {})
    wanted = {
        variable: outputs[key]
        for key, variable in (OUTPUT_SETTINGS | GENERATED_ID_SETTINGS).items()
        if key in outputs
    } | domain_settings(config, stage)
    changed = {variable: value for variable, value in wanted.items() if env.get(variable) != value}
    if changed:
        env.update(changed)
        path.write_text(json.dumps(config, indent=2) + "\n")
    return changed


def _throttle(
    project_dir: Path, stage: str, apigateway: Any, say: Callable[[str], None]
) -> list[str]:
    config = read_config(project_dir)
    limits = stage_throttling(config, stage)
    rest_api_id = deployed_rest_api(project_dir, stage)
    if limits is None or rest_api_id is None:
        return []
    stage_name = config["stages"][stage].get(
        "api_gateway_stage", config.get("api_gateway_stage", "api")
    )
    changes = apply_throttling(apigateway, rest_api_id, stage_name, *limits)
    for line in changes:
        say(line)
    return changes


def _gateway_responses(
    project_dir: Path, stage: str, apigateway: Any, say: Callable[[str], None]
) -> list[str]:
    config = read_config(project_dir)
    rest_api_id = deployed_rest_api(project_dir, stage)
    if rest_api_id is None:
        return []
    stage_name = config["stages"][stage].get(
        "api_gateway_stage", config.get("api_gateway_stage", "api")
    )
    changes = apply_gateway_responses(apigateway, rest_api_id, stage_name)
    for line in changes:
        say(line)
    return changes


def _cloudwatch(session: Any) -> Any:
    """CloudWatch's client for a stage's ~90 alarms: PutMetricAlarm is limited to a few
    calls a second per account, so the SDK paces itself (adaptive) and retries more."""
    return session.client(
        "cloudwatch", config=BotoConfig(retries={"mode": "adaptive", "max_attempts": 10})
    )


def deployed_observed(project_dir: Path, stage: str, apigateway: Any) -> Observed:
    """What the stage deployed from this checkout has to watch (with nothing deployed:
    the configured functions, none of them known as a stream reader)."""
    config = read_config(project_dir)
    try:
        resources = deployed_resources(project_dir, stage)
    except FileNotFoundError:
        resources = []
    functions = {
        r["name"]: "" for r in resources if r["resource_type"] == "lambda_function"
    } or configured_functions(config, stage)
    functions.update({name: kind for name, (kind, _) in deployed_kinds(resources).items()})
    rest_api_id = next(
        (str(r["rest_api_id"]) for r in resources if r["resource_type"] == "rest_api"), None
    )
    api_name = None
    if rest_api_id is not None:
        api_name = str(apigateway.get_rest_api(restApiId=rest_api_id)["name"])
    return observed_stage(
        config,
        stage,
        load_cfn_yaml(TEMPLATE_PATH),
        functions,
        api_name,
        stream_consumer_name(config, stage),
    )


def _previous_parameters(cloudformation: Any, stage: str) -> dict[str, str]:
    """The deployed stack's parameter values other than the current template's defaults
    (a default needs no passing: a parameter left out gets it)."""
    try:
        stack = cloudformation.describe_stacks(StackName=stack_name(stage))["Stacks"][0]
    except ClientError:
        return {}  # not deployed yet
    known = load_cfn_yaml(TEMPLATE_PATH).get("Parameters", {})
    return {
        p["ParameterKey"]: p["ParameterValue"]
        for p in stack.get("Parameters", [])
        if p["ParameterKey"] in known
        and p["ParameterValue"] != str(known[p["ParameterKey"]].get("Default", ""))
    }


def _empty_archive_bucket(session: Any, stage: str, say: Callable[[str], None]) -> None:
    """CloudFormation deletes only an empty bucket; the archive worker fills this one."""
    try:
        stack = session.client("cloudformation").describe_stacks(StackName=stack_name(stage))
    except ClientError:
        return
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Stacks"][0].get("Outputs", [])}
    name = outputs.get("ArchiveBucketName")
    if not name:
        return
    bucket = session.resource("s3").Bucket(name)
    try:
        deleted = sum(len(r.get("Deleted", [])) for r in bucket.objects.all().delete())
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") == "NoSuchBucket":
            return
        raise
    say(f"emptied bucket {name} ({deleted} objects)")


def deploy_stage(
    project_dir: Path,
    stage: str,
    parameters: Mapping[str, str] | None = None,
    say: Callable[[str], None] = print,
    log_retention_days: int = DEFAULT_LOG_RETENTION_DAYS,
) -> list[str]:
    """Deploy ``stage`` end to end; returns the event-source settings that were changed."""
    config = read_config(project_dir)
    custom_domain(config, stage)  # a wrong declaration stops here, before anything is made
    session = boto3.session.Session()
    if not session.region_name:
        raise RuntimeError("no AWS region: set AWS_DEFAULT_REGION or a profile's region")
    previous = _previous_parameters(session.client("cloudformation"), stage)
    stack = stack_parameters(config, stage, parameters or {}, previous)
    say(f"[1/5] resources stack {stack_name(stage)} (infra/resources.yaml)")
    kept = sorted(k for k in previous if previous[k] == stack[k] and k not in (parameters or {}))
    kept = [k for k in kept if k not in declared_parameters(config, stage)]
    if kept:
        say("      kept from the last deploy: " + ", ".join(f"{k}={stack[k]}" for k in kept))
    outputs = deploy_stack(session.client("cloudformation"), stage, stack, STACK_TIMEOUT_SECONDS)
    consumer_arn = outputs.get("StreamConsumerArn") if stack["StreamConsumerName"] else None
    if stack["StreamConsumerName"] and not consumer_arn:
        raise RuntimeError(f"stack {stack_name(stage)} has no StreamConsumerArn output")
    changed = write_stage_settings(project_dir, stage, outputs)
    say(f"[2/5] stage {stage} settings: " + (", ".join(sorted(changed)) or "already current"))
    say(f"[3/5] chalice deploy --stage {stage}")
    subprocess.run([*chalice_command(), "deploy", "--stage", stage], cwd=project_dir, check=True)
    say("[4/5] declared event-source settings")
    changes = apply_declared(project_dir, stage, Clients(session), say, consumer_arn)
    changes += _throttle(project_dir, stage, session.client("apigateway"), say)
    changes += _gateway_responses(project_dir, stage, session.client("apigateway"), say)
    say("[5/5] monitoring: log groups, alarms, dashboard, saved queries, log shipping")
    monitoring = ensure_stage_monitoring(
        _cloudwatch(session),
        session.client("logs"),
        deployed_observed(project_dir, stage, session.client("apigateway")),
        monitoring_settings(config, stage),
        outputs.get("AlarmTopicArn"),
        session.region_name,
        log_retention_days,
    )
    for line in monitoring or ["the stage's monitoring is already in place"]:
        say(line)
    return changes + monitoring


_FUNCTION_SUFFIX = re.compile(r"-[A-Za-z_][A-Za-z0-9_]*")  # Chalice: <app>-<stage>-<function>


def _logged_functions(logs: Any, project_dir: Path, stage: str) -> set[str]:
    """Names of the stage's functions that still have a log group, deployed or not.

    A function's name is a Python name (no '-'); a remainder that makes another
    configured stage's name (``dev`` + ``-eu``) is that stage's API handler, not ours.
    """
    config = read_config(project_dir)
    prefix = f"{config['app_name']}-{stage}"
    others = {f"{config['app_name']}-{s}" for s in config.get("stages", {})} - {prefix}
    found = set()
    pages = logs.get_paginator("describe_log_groups").paginate(
        logGroupNamePrefix=f"/aws/lambda/{prefix}"
    )
    for page in pages:
        for group in page["logGroups"]:
            name = group["logGroupName"].removeprefix("/aws/lambda/")
            rest = name.removeprefix(prefix)
            if name not in others and (rest == "" or _FUNCTION_SUFFIX.fullmatch(rest)):
                found.add(name)
    return found


def destroy_stage(
    project_dir: Path, stage: str, *, confirm: bool, say: Callable[[str], None] = print
) -> None:
    """Delete the app and its alarms; with ``confirm``, the resources stack and logs too."""
    try:
        names = [arn.split(":")[-1] for arn in deployed_functions(project_dir, stage).values()]
    except FileNotFoundError:
        names = []  # nothing deployed from this checkout; chalice delete says so
    session = boto3.session.Session()
    watched = deployed_observed(project_dir, stage, session.client("apigateway"))  # before delete
    for line in remove_consumer_mappings(session.client("lambda"), names):
        say(line)
    say(f"chalice delete --stage {stage}")
    subprocess.run([*chalice_command(), "delete", "--stage", stage], cwd=project_dir, check=True)
    if confirm:  # also the logs of functions an earlier destroy (without CONFIRM) deleted
        names = sorted(set(names) | _logged_functions(session.client("logs"), project_dir, stage))
    config = read_config(project_dir)
    for line in remove_stage_monitoring(
        _cloudwatch(session),
        session.client("logs"),
        watched,
        monitoring_settings(config, stage),
        names,
        log_groups=confirm,
    ):
        say(line)
    if not confirm:
        say(
            f"kept stack {stack_name(stage)} (tables, stream, queues) and the functions' logs: "
            "run again with CONFIRM=yes to delete the data too"
        )
        return
    _empty_archive_bucket(session, stage, say)
    cloudformation = session.client("cloudformation")
    name = stack_name(stage)
    say(f"deleting stack {name}")
    cloudformation.delete_stack(StackName=name)
    deadline = time.monotonic() + STACK_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        try:
            status = cloudformation.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]
        except ClientError:
            return  # gone
        if status == "DELETE_COMPLETE":
            return
        if status == "DELETE_FAILED":
            raise RuntimeError(f"stack {name} could not be deleted: see its events")
        time.sleep(5)
    raise TimeoutError(f"stack {name} still deleting after {STACK_TIMEOUT_SECONDS}s")
