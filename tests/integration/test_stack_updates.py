"""deploy_stack against the emulator's CloudFormation API: an update is waited for through
the stack's own events, listed newest first as AWS lists them. (The emulator updates even
an unchanged stack, where AWS answers "No updates are to be performed"; and it cannot
roll an update back: tests/unit/test_deploy_stack_waits.py covers those answers.)"""

from __future__ import annotations

import uuid

import boto3
import pytest

from devstack.infra import deploy_stack, stack_name

pytestmark = pytest.mark.emulator


def test_each_deploy_of_a_deployed_stack_is_an_update_waited_for_until_it_completed(
    emulator_endpoint,
):
    cloudformation = boto3.client("cloudformation")
    stage = f"upd-{uuid.uuid4().hex[:8]}"  # a stack of its own, not the shared local one
    name = stack_name(stage)
    try:
        created = deploy_stack(cloudformation, stage, {"RetryVisibilityTimeoutSeconds": "120"})
        updated = deploy_stack(cloudformation, stage, {"RetryVisibilityTimeoutSeconds": "45"})
        again = deploy_stack(cloudformation, stage, {"RetryVisibilityTimeoutSeconds": "45"})

        stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
        events = cloudformation.describe_stack_events(StackName=name)["StackEvents"]
        assert stack["StackStatus"] == "UPDATE_COMPLETE"
        assert {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}[
            "RetryVisibilityTimeoutSeconds"
        ] == "45"
        assert [e["ResourceStatus"] for e in events if e["LogicalResourceId"] == name] == [
            "UPDATE_COMPLETE",
            "UPDATE_IN_PROGRESS",
            "UPDATE_COMPLETE",
            "UPDATE_IN_PROGRESS",
            "CREATE_COMPLETE",
            "CREATE_IN_PROGRESS",
        ]
        assert created["RetryQueueName"] == f"yubl-retry-{stage}"
        assert updated == created and again == created
    finally:
        cloudformation.delete_stack(StackName=name)
