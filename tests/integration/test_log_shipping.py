"""Central log shipping of a ``chalice deploy``ed stage, through the Logs API of the
emulator: one subscription filter per function log group, kept, then removed."""

from __future__ import annotations

import json
from dataclasses import replace

import boto3
import pytest

from deploy.log_queries import log_group
from deploy.monitoring import ensure_log_shipping
from deploy.monitoring_settings import MonitoringSettings
from deploy.names import load_cfn_yaml
from deploy.observed import configured_functions, observed_stage
from devstack.infra import TEMPLATE_PATH
from devstack.stack import PROJECT_DIR

pytestmark = pytest.mark.emulator

ROLE = "arn:aws:iam::123456789012:role/logs-to-kinesis"


def test_every_function_log_group_is_shipped_once_and_unshipped_on_request(stack_outputs):
    logs = boto3.client("logs")
    stream_arn = stack_outputs["YublPostedStreamArn"]  # any Kinesis stream will do
    config = json.loads((PROJECT_DIR / ".chalice" / "config.json").read_text())
    functions = configured_functions(config, "local")
    watched = observed_stage(config, "local", load_cfn_yaml(TEMPLATE_PATH), functions, None)
    groups = sorted(log_group(f.deployed_name) for f in watched.functions)
    # the eleven handlers and the API's
    assert groups == [
        f"/aws/lambda/yubl-fanout-local{suffix}"
        for suffix in (
            "",
            "-add_to_feed",
            "-add_to_feed_priority",
            "-archive_events",
            "-delete_account",
            "-distribute_yubl",
            "-export_account",
            "-fan_out_range",
            "-notify_mentioned",
            "-post_confirmation",
            "-pre_sign_up",
            "-retry_parked",
        )
    ]
    for group in groups:
        if not logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]:
            logs.create_log_group(logGroupName=group)
    shipping = replace(
        MonitoringSettings(), log_destination_arn=stream_arn, log_destination_role_arn=ROLE
    )

    def filters() -> dict[str, list[tuple[str, str, str]]]:
        return {
            group: [
                (f["filterName"], f["destinationArn"], f.get("roleArn", ""))
                for f in logs.describe_subscription_filters(logGroupName=group)[
                    "subscriptionFilters"
                ]
            ]
            for group in groups
        }

    # WHEN the stage declares a destination
    said = ensure_log_shipping(logs, watched, shipping)
    # THEN each function's log group has exactly one filter to it
    assert said == [
        f"{group}: shipped to {stream_arn}"
        for group in [log_group(f.deployed_name) for f in watched.functions]
    ]
    assert filters() == {
        group: [("yubl-fanout-local-central-logs", stream_arn, ROLE)] for group in groups
    }
    # AND a second run changes nothing
    assert ensure_log_shipping(logs, watched, shipping) == []
    # WHEN the destination is declared away, the filters go
    assert len(ensure_log_shipping(logs, watched, MonitoringSettings())) == len(groups)
    assert filters() == {group: [] for group in groups}
