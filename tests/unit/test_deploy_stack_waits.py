"""deploy_stack waits for the operation it started and reports a rollback as a failure.

botocore's Stubber answers as CloudFormation does, in the order AWS goes through the
statuses: the moto server cannot make an update roll back (see test_stack_status.py).
"""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import ANY, Stubber

from devstack.infra import StackOperationFailed, deploy_stack

NAME = "yubl-fanout-dev"
STACK_ID = f"arn:aws:cloudformation:us-east-1:123456789012:stack/{NAME}/0b1c2d3e"
STAGE_PARAMETERS = [{"ParameterKey": "Stage", "ParameterValue": "dev"}]
BEFORE = {"FeedsTableName": "yubl-feeds-dev"}
AFTER = {"FeedsTableName": "yubl-feeds-dev", "PostsTableName": "yubl-posts-dev"}


@pytest.fixture
def cloudformation():
    client = boto3.client(
        "cloudformation", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def test_after_an_earlier_rollback_a_good_update_is_waited_for_past_the_stale_status(
    cloudformation,
):
    client, stubber = cloudformation
    earlier = _update_accepted(stubber, "UPDATE_ROLLBACK_COMPLETE")
    _stack(stubber, "UPDATE_ROLLBACK_COMPLETE", BEFORE)  # not yet this update's status
    _events(stubber, [earlier])
    _stack(stubber, "UPDATE_IN_PROGRESS", BEFORE)
    _stack(stubber, "UPDATE_COMPLETE", AFTER)
    _events(
        stubber,
        [
            _event("e3", NAME, "UPDATE_COMPLETE"),
            _event("e2", NAME, "UPDATE_IN_PROGRESS", "User Initiated"),
            earlier,
        ],
    )

    assert deploy_stack(client, "dev") == AFTER


def test_an_update_that_rolls_back_fails_naming_the_stack_the_status_and_the_cause(
    cloudformation,
):
    client, stubber = cloudformation
    earlier = _update_accepted(stubber, "UPDATE_COMPLETE")
    _stack(stubber, "UPDATE_ROLLBACK_IN_PROGRESS", BEFORE)
    _stack(stubber, "UPDATE_ROLLBACK_COMPLETE", BEFORE)
    _events(
        stubber,
        [
            _event("e7", NAME, "UPDATE_ROLLBACK_COMPLETE"),
            _event("e6", "FeedsTable", "UPDATE_COMPLETE"),
            _event("e5", NAME, "UPDATE_ROLLBACK_IN_PROGRESS", "The following resource(s) failed"),
            _event("e4", "RetryQueue", "UPDATE_FAILED", "Resource update cancelled"),
            _event("e3", "FeedsTable", "UPDATE_FAILED", "Cannot update GSI's properties"),
            _event("e2", NAME, "UPDATE_IN_PROGRESS", "User Initiated"),
            earlier,
        ],
    )

    with pytest.raises(StackOperationFailed) as failure:
        deploy_stack(client, "dev")

    assert (failure.value.stack, failure.value.status) == (NAME, "UPDATE_ROLLBACK_COMPLETE")
    assert str(failure.value) == (
        f"stack {NAME}: the update failed, the stack is UPDATE_ROLLBACK_COMPLETE "
        "(rolled back: the stack keeps its previous resources); "
        "FeedsTable UPDATE_FAILED: Cannot update GSI's properties; "
        "RetryQueue UPDATE_FAILED: Resource update cancelled"
    )


def test_with_nothing_to_update_a_stack_rolled_back_to_this_template_is_deployed(
    cloudformation,
):
    client, stubber = cloudformation
    _stack(stubber, "UPDATE_ROLLBACK_COMPLETE", BEFORE)
    _events(stubber, [_event("e1", NAME, "UPDATE_ROLLBACK_COMPLETE")])
    stubber.add_client_error(
        "update_stack",
        service_error_code="ValidationError",
        service_message="No updates are to be performed.",
        http_status_code=400,
    )
    _stack(stubber, "UPDATE_ROLLBACK_COMPLETE", BEFORE)

    assert deploy_stack(client, "dev") == BEFORE


def test_a_create_that_rolls_back_fails_naming_the_stack_the_status_and_the_cause(
    cloudformation,
):
    client, stubber = cloudformation
    stubber.add_client_error(
        "describe_stacks",
        service_error_code="ValidationError",
        service_message=f"Stack with id {NAME} does not exist",
        http_status_code=400,
        expected_params={"StackName": NAME},
    )
    stubber.add_response(
        "create_stack",
        {"StackId": STACK_ID},
        {"StackName": NAME, "TemplateBody": ANY, "Parameters": STAGE_PARAMETERS},
    )
    _stack(stubber, "ROLLBACK_IN_PROGRESS", {})
    _stack(stubber, "ROLLBACK_COMPLETE", {})
    _events(
        stubber,
        [
            _event("e4", NAME, "ROLLBACK_COMPLETE"),
            _event("e3", "FeedsTable", "CREATE_FAILED", "yubl-feeds-dev already exists"),
            _event("e2", "FeedsTable", "CREATE_IN_PROGRESS"),
            _event("e1", NAME, "CREATE_IN_PROGRESS", "User Initiated"),
        ],
    )

    with pytest.raises(StackOperationFailed) as failure:
        deploy_stack(client, "dev")

    assert str(failure.value) == (
        f"stack {NAME}: the create failed, the stack is ROLLBACK_COMPLETE "
        "(rolled back: delete the stack before deploying it again); "
        "FeedsTable CREATE_FAILED: yubl-feeds-dev already exists"
    )


def _stack(stubber: Stubber, status: str, outputs: dict[str, str]) -> None:
    stack = {
        "StackId": STACK_ID,
        "StackName": NAME,
        "CreationTime": datetime(2026, 11, 1, tzinfo=UTC),
        "StackStatus": status,
        "Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in outputs.items()],
    }
    stubber.add_response("describe_stacks", {"Stacks": [stack]}, {"StackName": NAME})


def _events(stubber: Stubber, newest_first: list[dict]) -> None:
    stubber.add_response(
        "describe_stack_events", {"StackEvents": newest_first}, {"StackName": NAME}
    )


def _update_accepted(stubber: Stubber, status: str) -> dict:
    """The deployed stack in ``status``, then our update accepted; the stack's last event."""
    earlier = _event("e1", NAME, status)
    _stack(stubber, status, BEFORE)
    _events(stubber, [earlier])
    stubber.add_response(
        "update_stack",
        {"StackId": STACK_ID},
        {"StackName": NAME, "TemplateBody": ANY, "Parameters": STAGE_PARAMETERS},
    )
    return earlier


def _event(event_id: str, logical_id: str, status: str, reason: str | None = None) -> dict:
    event = {
        "StackId": STACK_ID,
        "EventId": event_id,
        "StackName": NAME,
        "LogicalResourceId": logical_id,
        "ResourceStatus": status,
        "Timestamp": datetime(2026, 11, 24, tzinfo=UTC),
    }
    return {**event, "ResourceStatusReason": reason} if reason else event
