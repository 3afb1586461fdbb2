"""The status rules of a stack create or update, with the exact AWS status strings.

The moto server cannot make an update roll back (a failing resource answers HTTP 500 and
the stack keeps its status), so these rules are pinned here as pure functions;
tests/unit/test_deploy_stack_waits.py pins how deploy_stack applies them.
"""

from __future__ import annotations

import pytest

from devstack.stack_status import DONE, FAILED, WAITING, failure_message, operation_outcome

UPDATE_STATUSES = [
    ("UPDATE_COMPLETE", DONE),
    ("UPDATE_ROLLBACK_COMPLETE", FAILED),
    ("UPDATE_ROLLBACK_FAILED", FAILED),
    ("UPDATE_FAILED", FAILED),
    ("UPDATE_IN_PROGRESS", WAITING),
    ("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", WAITING),
    ("UPDATE_ROLLBACK_IN_PROGRESS", WAITING),
    ("UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", WAITING),
]
CREATE_STATUSES = [
    ("CREATE_COMPLETE", DONE),
    ("CREATE_FAILED", FAILED),
    ("ROLLBACK_COMPLETE", FAILED),
    ("ROLLBACK_FAILED", FAILED),
    ("DELETE_COMPLETE", FAILED),
    ("CREATE_IN_PROGRESS", WAITING),
    ("ROLLBACK_IN_PROGRESS", WAITING),
    ("REVIEW_IN_PROGRESS", WAITING),
]


@pytest.mark.parametrize(("status", "outcome"), UPDATE_STATUSES)
def test_an_update_is_done_only_at_update_complete_and_a_rollback_is_a_failure(status, outcome):
    assert operation_outcome("UPDATE", status) == outcome


@pytest.mark.parametrize(("status", "outcome"), CREATE_STATUSES)
def test_a_create_is_done_only_at_create_complete_and_a_rollback_is_a_failure(status, outcome):
    assert operation_outcome("CREATE", status) == outcome


def test_a_rolled_back_update_names_the_stack_its_status_and_the_failed_resources_in_order():
    events = [
        _event("yubl-fanout-dev", "UPDATE_IN_PROGRESS", "User Initiated"),
        _event("FeedsTable", "UPDATE_IN_PROGRESS", None),
        _event("FeedsTable", "UPDATE_FAILED", "Cannot update GSI's properties"),
        _event("RetryQueue", "UPDATE_FAILED", "Resource update cancelled"),
        _event(
            "yubl-fanout-dev",
            "UPDATE_ROLLBACK_IN_PROGRESS",
            "The following resource(s) failed to update: [FeedsTable].",
        ),
        _event("FeedsTable", "UPDATE_COMPLETE", None),
        _event("yubl-fanout-dev", "UPDATE_ROLLBACK_COMPLETE", None),
    ]

    message = failure_message("yubl-fanout-dev", "UPDATE", "UPDATE_ROLLBACK_COMPLETE", events)

    assert message == (
        "stack yubl-fanout-dev: the update failed, the stack is UPDATE_ROLLBACK_COMPLETE "
        "(rolled back: the stack keeps its previous resources); "
        "FeedsTable UPDATE_FAILED: Cannot update GSI's properties; "
        "RetryQueue UPDATE_FAILED: Resource update cancelled"
    )


def test_a_failed_create_says_the_stack_must_be_deleted_and_counts_the_reasons_left_out():
    events = [_event(f"Table{n}", "CREATE_FAILED", f"reason {n}") for n in range(1, 6)]

    message = failure_message("yubl-fanout-dev", "CREATE", "ROLLBACK_COMPLETE", events)

    assert message == (
        "stack yubl-fanout-dev: the create failed, the stack is ROLLBACK_COMPLETE "
        "(rolled back: delete the stack before deploying it again); "
        "Table1 CREATE_FAILED: reason 1; Table2 CREATE_FAILED: reason 2; "
        "Table3 CREATE_FAILED: reason 3 (and 2 more in the stack's events)"
    )


def test_a_failure_without_reasons_in_its_events_still_names_the_stack_and_status():
    message = failure_message("yubl-fanout-dev", "UPDATE", "UPDATE_FAILED", [])

    assert message == "stack yubl-fanout-dev: the update failed, the stack is UPDATE_FAILED"


def _event(logical_id: str, status: str, reason: str | None) -> dict:
    event = {"LogicalResourceId": logical_id, "ResourceStatus": status}
    return {**event, "ResourceStatusReason": reason} if reason else event
