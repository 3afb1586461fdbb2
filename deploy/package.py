"""``make package STAGE=s``: Chalice's SAM template with every declared setting merged in.

``chalice package`` runs twice: once plain, to learn which functions and event sources
Chalice makes (and under which logical ids), then with the ``--merge-template`` built
from that. No AWS account is touched: Chalice only needs a region name to build its
clients, and the template itself names none (CloudFormation fills ``AWS::Region``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from chalice.utils import to_cfn_resource_name

from deploy.consumer import read_through_consumer
from deploy.custom_domain import domain_merge
from deploy.declared import ConfigError, declared_settings, read_config
from deploy.gateway_responses import gateway_response_resources
from deploy.merge import event_kinds, merge_template
from deploy.monitoring_settings import monitoring_settings
from deploy.monitoring_template import monitoring_merge
from deploy.names import arn_template, load_cfn_yaml, named_resources
from deploy.observed import Observed, observed_stage
from deploy.stack_parameters import declared_parameters, stage_template, stream_consumer_name
from deploy.throttling import method_settings, stage_throttling

__all__ = ["RESOURCES_TEMPLATE", "chalice_command", "package_stage"]

RESOURCES_TEMPLATE = Path("infra") / "resources.yaml"
# Chalice builds an API Gateway client while packaging; any region will do, none is used.
_PLACEHOLDER_REGION = "us-east-1"


def chalice_command() -> list[str]:
    """How to run Chalice: ``CHALICE`` (a command line) or this interpreter's chalice."""
    given = os.environ.get("CHALICE")
    if given:
        return given.split()
    beside = Path(sys.executable).with_name("chalice")
    return [str(beside) if beside.exists() else "chalice"]


def _run_package(
    project_dir: Path, stage: str, out: Path, merge: Path | None, environ: Mapping[str, str]
) -> None:
    env = dict(environ)
    if not (env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")):
        env["AWS_DEFAULT_REGION"] = _PLACEHOLDER_REGION
    command = [*chalice_command(), "package", "--stage", stage]
    if merge is not None:
        command += ["--merge-template", str(merge)]
    subprocess.run([*command, str(out)], cwd=project_dir, env=env, check=True)


def _read_sam(directory: Path) -> dict[str, Any]:
    return json.loads((directory / "sam.json").read_text())


def build_merge_template(project_dir: Path, stage: str, sam: dict[str, Any]) -> dict[str, Any]:
    """The merge template for ``stage`` given Chalice's plain SAM template."""
    config = read_config(project_dir)
    functions = list(config.get("stages", {}).get(stage, {}).get("lambda_functions", {}))
    declared = declared_settings(config, stage, event_kinds(sam, functions))
    names = named_resources(load_cfn_yaml(project_dir / RESOURCES_TEMPLATE), stage)
    merge = merge_template(
        sam, declared, lambda function, target: arn_template(function, target, names)
    )
    throttling = stage_throttling(config, stage)
    if throttling and "RestAPI" in sam.get("Resources", {}):
        merge["Resources"]["RestAPI"] = {
            "Properties": {"MethodSettings": method_settings(*throttling)}
        }
    if "RestAPI" in sam.get("Resources", {}):
        merge["Resources"].update(gateway_response_resources())
    _deep_update(merge, domain_merge(config, stage, sam))
    watched = packaged_observed(project_dir, stage, sam)
    _deep_update(merge, monitoring_merge(watched, monitoring_settings(config, stage)))
    return merge


def packaged_observed(project_dir: Path, stage: str, sam: Mapping[str, Any]) -> Observed:
    """What the stage packaged from ``sam`` (Chalice's template) has to watch: each of its
    functions, by the name Chalice gave it (the last part of its handler)."""
    config = read_config(project_dir)
    functions: dict[str, str] = {}
    for logical_id, resource in sam.get("Resources", {}).items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        name = "api_handler" if logical_id == "APIHandler" else resource["Properties"]["Handler"]
        name = name.rsplit(".", 1)[-1]
        if logical_id != "APIHandler" and to_cfn_resource_name(name) != logical_id:
            raise ConfigError(f"{logical_id}: cannot tell its Chalice name from its handler")
        functions[name] = ""
    functions.update(event_kinds(sam, sorted(functions)))
    has_api = "RestAPI" in sam.get("Resources", {})
    return observed_stage(
        config,
        stage,
        load_cfn_yaml(project_dir / RESOURCES_TEMPLATE),
        functions,
        f"{config['app_name']}-{stage}" if has_api else None,
        stream_consumer_name(config, stage),
    )


def _deep_update(target: dict[str, Any], extra: Mapping[str, Any]) -> None:
    """Merge ``extra`` into ``target`` key by key, as Chalice merges a merge template."""
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(target.get(key), dict):
            _deep_update(target[key], value)
        else:
            target[key] = value


def package_stage(
    project_dir: Path, stage: str, out: Path, environ: Mapping[str, str] | None = None
) -> Path:
    """Write sam.json, deployment.zip, merge.json and resources.yaml (the stage's values
    as its parameters' defaults) into ``out``."""
    with tempfile.TemporaryDirectory(prefix="chalice-plain-") as plain:
        environ = os.environ if environ is None else environ
        _run_package(project_dir, stage, Path(plain) / "out", None, environ)
        merge = build_merge_template(project_dir, stage, _read_sam(Path(plain) / "out"))
    if out.exists():
        shutil.rmtree(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="chalice-merge-") as scratch:
        merge_path = Path(scratch) / "merge.json"
        merge_path.write_text(json.dumps(merge, indent=2))
        _run_package(project_dir, stage, out, merge_path, environ)
        shutil.copy(merge_path, out / "merge.json")
    config = read_config(project_dir)
    consumer = stream_consumer_name(config, stage)
    if consumer:
        sam = _read_sam(out)
        read_through_consumer(sam, consumer)
        (out / "sam.json").write_text(json.dumps(sam, indent=2) + "\n")
    _write_resources(project_dir, stage, declared_parameters(config, stage), out)
    return out


def _write_resources(project_dir: Path, stage: str, parameters: dict[str, str], out: Path) -> None:
    """infra/resources.yaml with the stage and its declared parameters as the defaults."""
    template = stage_template(load_cfn_yaml(project_dir / RESOURCES_TEMPLATE), stage, parameters)
    header = f"# {RESOURCES_TEMPLATE} for stage {stage}, written by make package\n"
    text = yaml.safe_dump(template, sort_keys=False, width=100)
    (out / "resources.yaml").write_text(header + text)
