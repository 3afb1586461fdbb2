"""The dispatcher reads through an enhanced fan-out consumer when its stage declares one.

Packaged: ``stream_consumer_name`` on (the variant of dev in conftest) or off (dev, prod).
Deployed: the plan the apply step follows, from the mappings Lambda reports (moto can
neither make a consumer through CloudFormation nor map a function to one, so the
mapping plan is checked as data; its few boto3 calls are the apply step's usual ones).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from cfnlint.api import lint_file

from deploy.consumer import plan_mappings
from local_runtime.config import ConfigError
from tests.deploy.conftest import PACKAGED_STAGES, VARIANT_SETTINGS


def _sam(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "sam.json").read_text())  # type: ignore[no-any-return]


def _resources(folder: Path) -> dict[str, Any]:
    return yaml.safe_load((folder / "resources.yaml").read_text())  # type: ignore[no-any-return]


def _dispatcher_event(folder: Path) -> dict[str, Any]:
    events = _sam(folder)["Resources"]["DistributeYubl"]["Properties"]["Events"]
    (event,) = events.values()
    assert event["Type"] == "Kinesis"
    return event["Properties"]  # type: ignore[no-any-return]


def test_declared_on_the_dispatcher_reads_through_the_consumer(packaged_variant, config):
    # GIVEN dev with stream_consumer_name declared (conftest's variant)
    event = _dispatcher_event(packaged_variant)
    # THEN its mapping's source is the consumer ARN, a parameter of the app's template
    assert event["Stream"] == {"Ref": "StreamConsumerArn"}
    assert _sam(packaged_variant)["Parameters"]["StreamConsumerArn"]["Type"] == "String"
    # AND the declared failure settings are still on that mapping
    block = config["stages"]["dev"]["lambda_functions"]["distribute_yubl"]["event_source"]
    assert event["MaximumRetryAttempts"] == block["MaximumRetryAttempts"] == 10
    assert event["BisectBatchOnFunctionError"] is True
    # AND the stage's resources template makes the consumer of that name by default
    resources = _resources(packaged_variant)
    name = VARIANT_SETTINGS["stream_consumer_name"]
    assert resources["Parameters"]["StreamConsumerName"]["Default"] == name
    assert resources["Conditions"]["HasStreamConsumer"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "StreamConsumerName"}, ""]}]
    }
    assert resources["Resources"]["DispatcherStreamConsumer"] == {
        "Type": "AWS::Kinesis::StreamConsumer",
        "Condition": "HasStreamConsumer",
        "Properties": {
            "ConsumerName": {"Ref": "StreamConsumerName"},
            "StreamARN": {"Fn::GetAtt": ["YublPostedStream", "Arn"]},
        },
    }
    assert resources["Outputs"]["StreamConsumerArn"] == {
        "Condition": "HasStreamConsumer",
        "Value": {"Fn::GetAtt": ["DispatcherStreamConsumer", "ConsumerARN"]},
    }


@pytest.mark.parametrize("stage", PACKAGED_STAGES)
def test_not_declared_the_dispatcher_reads_the_stream(packaged, config, stage):
    assert "stream_consumer_name" not in config["stages"][stage]
    event = _dispatcher_event(packaged[stage])
    assert event["Stream"] == {
        "Fn::Sub": "arn:${AWS::Partition}:kinesis:${AWS::Region}:${AWS::AccountId}:"
        f"stream/yubl-posted-{stage}"
    }
    assert "StreamConsumerArn" not in _sam(packaged[stage])["Parameters"]
    assert _resources(packaged[stage])["Parameters"]["StreamConsumerName"]["Default"] == ""


@pytest.mark.parametrize("template", ["sam.json", "resources.yaml"])
def test_cfn_lint_finds_no_error_with_the_consumer_and_domain_on(packaged_variant, template):
    matches = lint_file(packaged_variant / template)
    assert [str(m) for m in matches if m.rule.id.startswith("E")] == []


FUNCTION = "arn:aws:lambda:eu-west-1:111122223333:function:yubl-fanout-dev-distribute_yubl"
STREAM = "arn:aws:kinesis:eu-west-1:111122223333:stream/yubl-posted-dev"
CONSUMER = f"{STREAM}/consumer/distribute-yubl-dev:1732400000"
OLD_CONSUMER = f"{STREAM}/consumer/old-name:1732300000"


def _mapping(uuid: str, source: str, state: str = "Enabled") -> dict[str, Any]:
    """A Kinesis mapping as ListEventSourceMappings reports it (the fields the plan reads)."""
    return {
        "UUID": uuid,
        "EventSourceArn": source,
        "State": state,
        "BatchSize": 100,
        "MaximumBatchingWindowInSeconds": 0,
        "StartingPosition": "TRIM_HORIZON",
    }


def test_first_deploy_with_a_consumer_adds_its_mapping_and_disables_chalices():
    plan = plan_mappings(FUNCTION, [_mapping("chalice", STREAM)], CONSUMER)
    assert plan.create == {
        "FunctionName": FUNCTION,
        "EventSourceArn": CONSUMER,
        "BatchSize": 100,
        "MaximumBatchingWindowInSeconds": 0,
        "StartingPosition": "TRIM_HORIZON",
    }
    assert plan.enable == {"chalice": False}
    assert plan.delete == [] and plan.keep == []


def test_a_second_deploy_with_the_consumer_only_checks_its_mapping():
    mappings = [_mapping("chalice", STREAM, "Disabled"), _mapping("efo", CONSUMER)]
    plan = plan_mappings(FUNCTION, mappings, CONSUMER)
    assert (plan.create, plan.enable, plan.delete, plan.keep) == (None, {}, [], ["efo"])


def test_a_consumer_no_longer_declared_loses_its_mapping_and_the_stream_is_read_again():
    mappings = [_mapping("chalice", STREAM, "Disabled"), _mapping("efo", OLD_CONSUMER)]
    plan = plan_mappings(FUNCTION, mappings, None)
    assert (plan.create, plan.enable, plan.delete, plan.keep) == (
        None,
        {"chalice": True},
        ["efo"],
        ["chalice"],
    )


def test_a_renamed_consumer_replaces_the_old_ones_mapping():
    mappings = [_mapping("chalice", STREAM, "Disabled"), _mapping("efo", OLD_CONSUMER)]
    plan = plan_mappings(FUNCTION, mappings, CONSUMER)
    assert plan.create is not None and plan.create["EventSourceArn"] == CONSUMER
    assert (plan.enable, plan.delete) == ({}, ["efo"])


def test_without_a_consumer_a_declared_disabled_reader_stays_disabled():
    mappings = [_mapping("chalice", STREAM, "Disabled")]
    plan = plan_mappings(FUNCTION, mappings, None, enabled=False)
    assert (plan.create, plan.enable, plan.delete, plan.keep) == (None, {}, [], ["chalice"])


def test_a_consumer_needs_a_stream_mapping_to_copy_the_batch_settings_from():
    with pytest.raises(ConfigError, match="no mapping on the stream"):
        plan_mappings(FUNCTION, [], CONSUMER)
