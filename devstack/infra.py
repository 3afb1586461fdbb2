"""Deploy ``infra/resources.yaml`` through a CloudFormation API (the emulator's or AWS's)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from .stack_status import (
    DONE,
    WAITING,
    Operation,
    StackOperationFailed,
    failure_message,
    operation_outcome,
)
from .subscriptions import create_subscriptions

__all__ = ["TEMPLATE_PATH", "StackOperationFailed", "deploy_stack", "stack_name"]

TEMPLATE_PATH = Path(__file__).resolve().parent.parent / "infra" / "resources.yaml"


def stack_name(stage: str) -> str:
    return f"yubl-fanout-{stage}"


def deploy_stack(
    cloudformation: Any,
    stage: str,
    parameters: dict[str, str] | None = None,
    timeout: float = 120,
    sns: Any = None,
    sqs: Any = None,
    template: Path = TEMPLATE_PATH,
) -> dict[str, str]:
    """Create or update the stage's stack from ``template``, wait for it, and return its
    outputs by key.

    Given ``sns`` and ``sqs`` clients, the template's SNS subscriptions are then made
    through the SNS API (for an emulator whose CloudFormation skips them).
    """
    name = stack_name(stage)
    params = [{"ParameterKey": "Stage", "ParameterValue": stage}] + [
        {"ParameterKey": k, "ParameterValue": v} for k, v in (parameters or {}).items()
    ]
    body = template.read_text()
    try:
        cloudformation.describe_stacks(StackName=name)
        exists = True
    except ClientError:
        exists = False
    if exists:
        before = _newest_event_id(cloudformation, name)
        try:
            cloudformation.update_stack(StackName=name, TemplateBody=body, Parameters=params)
        except ClientError as err:
            if "No updates" not in str(err):
                raise
            # already as asked, even in UPDATE_ROLLBACK_COMPLETE after an earlier failure:
            # the template it rolled back to is this one
            stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
        else:
            stack = _wait(cloudformation, name, "UPDATE", before, timeout)
    else:
        cloudformation.create_stack(StackName=name, TemplateBody=body, Parameters=params)
        stack = _wait(cloudformation, name, "CREATE", None, timeout)
    if sns is not None and sqs is not None:
        create_subscriptions(template, name, cloudformation, sns, sqs)
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def _wait(
    cloudformation: Any, name: str, operation: Operation, before: str | None, timeout: float
) -> dict[str, Any]:
    """The stack once the operation begun after event ``before`` has ended well.

    A final status counts only once the stack has events after ``before``: until then it
    may be the previous operation's (an earlier update's UPDATE_ROLLBACK_COMPLETE).
    """
    deadline = time.monotonic() + timeout
    while True:
        stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
        status = stack["StackStatus"]
        outcome = operation_outcome(operation, status)
        if outcome != WAITING:
            events = _events_after(cloudformation, name, before)
            if events and outcome == DONE:
                return stack
            if events:
                raise StackOperationFailed(
                    name, status, failure_message(name, operation, status, events)
                )
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"stack {name}: the {operation.lower()} had not ended after {timeout:.0f}s "
                f"(status {status})"
            )
        time.sleep(0.2)


def _newest_event_id(cloudformation: Any, name: str) -> str | None:
    events = cloudformation.describe_stack_events(StackName=name)["StackEvents"]
    return str(events[0]["EventId"]) if events else None


def _events_after(cloudformation: Any, name: str, before: str | None) -> list[dict[str, Any]]:
    """The stack's events after the event ``before`` (all if None), oldest first."""
    newer: list[dict[str, Any]] = []
    for page in cloudformation.get_paginator("describe_stack_events").paginate(StackName=name):
        for event in page["StackEvents"]:  # newest first
            if event["EventId"] == before:
                return newer[::-1]
            newer.append(event)
    return newer[::-1]
