"""Deploy ``infra/resources.yaml`` through a CloudFormation API (the emulator's or AWS's)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from .subscriptions import create_subscriptions

__all__ = ["TEMPLATE_PATH", "deploy_stack", "stack_name"]

TEMPLATE_PATH = Path(__file__).resolve().parent.parent / "infra" / "resources.yaml"
_DONE = ("CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE")


def stack_name(stage: str) -> str:
    return f"yubl-fanout-{stage}"


def deploy_stack(
    cloudformation: Any,
    stage: str,
    parameters: dict[str, str] | None = None,
    timeout: float = 120,
    sns: Any = None,
    sqs: Any = None,
) -> dict[str, str]:
    """Create or update the stage's stack, wait for it, and return its outputs by key.

    Given ``sns`` and ``sqs`` clients, the template's SNS subscriptions are then made
    through the SNS API (for an emulator whose CloudFormation skips them).
    """
    name = stack_name(stage)
    params = [{"ParameterKey": "Stage", "ParameterValue": stage}] + [
        {"ParameterKey": k, "ParameterValue": v} for k, v in (parameters or {}).items()
    ]
    body = TEMPLATE_PATH.read_text()
    try:
        cloudformation.describe_stacks(StackName=name)
        exists = True
    except ClientError:
        exists = False
    if exists:
        try:
            cloudformation.update_stack(StackName=name, TemplateBody=body, Parameters=params)
        except ClientError as err:
            if "No updates" not in str(err):
                raise
    else:
        cloudformation.create_stack(StackName=name, TemplateBody=body, Parameters=params)
    deadline = time.monotonic() + timeout
    while True:
        stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
        status = stack["StackStatus"]
        if status in _DONE:
            break
        if status.endswith("FAILED") or status.endswith("ROLLBACK_COMPLETE"):
            raise RuntimeError(f"stack {name} ended in {status}: {stack.get('StackStatusReason')}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"stack {name} still {status} after {timeout:.0f}s")
        time.sleep(0.2)
    if sns is not None and sqs is not None:
        create_subscriptions(TEMPLATE_PATH, name, cloudformation, sns, sqs)
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
