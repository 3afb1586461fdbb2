"""Reading the declaration: names resolved offline, mistakes refused before any deploy."""

from __future__ import annotations

from typing import Any

import pytest

from deploy.declared import ConfigError, Declared, declared_settings
from deploy.merge import merge_template
from deploy.names import arn_template, load_cfn_yaml, named_resources
from tests.deploy.conftest import PROJECT_DIR


def _config(stage: str, functions: dict[str, Any]) -> dict[str, Any]:
    return {"stages": {stage: {"lambda_functions": functions}}}


def test_the_resources_template_says_which_names_are_queues_and_topics():
    names = named_resources(load_cfn_yaml(PROJECT_DIR / "infra" / "resources.yaml"), "dev")
    assert names["yubl-dead-letters-dev"] == "sqs"
    assert names["yubl-retry-dev"] == "sqs"
    assert names["feed-dev"] == "sns"


def test_a_name_becomes_an_arn_completed_by_cloudformation_and_an_arn_is_kept():
    names = {"q-dev": "sqs", "t-dev": "sns"}
    assert arn_template("f", "t-dev", names) == {
        "Fn::Sub": "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:t-dev"
    }
    given = "arn:aws:sqs:eu-west-1:111122223333:elsewhere"
    assert arn_template("f", given, names) == given


def test_a_destination_that_is_no_resource_of_the_stage_is_refused():
    with pytest.raises(ConfigError, match="f: destination 'typo-dev' is neither"):
        arn_template("f", "typo-dev", {"q-dev": "sqs"})


def test_a_block_for_a_function_without_an_event_source_is_refused():
    config = _config("dev", {"ghost": {"event_source": {"MaximumRetryAttempts": 1}}})
    with pytest.raises(ConfigError, match="ghost: stage 'dev' declares an event_source"):
        declared_settings(config, "dev", {"other": "kinesis"})


def test_local_runtime_rules_apply_a_value_lambda_refuses_is_refused():
    config = _config("dev", {"f": {"event_source": {"MaximumRetryAttempts": 20000}}})
    with pytest.raises(ConfigError, match=r"f: MaximumRetryAttempts must be -1 or 0\.\.10000"):
        declared_settings(config, "dev", {"f": "kinesis"})


def test_an_sns_filter_policy_goes_to_the_subscription_not_the_invoke_config():
    block = {"MaximumRetryAttempts": 1, "FilterPolicy": {"group": ["feed"]}}
    (item,) = declared_settings(_config("dev", {"f": {"event_source": block}}), "dev", {"f": "sns"})
    assert item == Declared(
        "f", "sns", {"MaximumRetryAttempts": 1}, {"FilterPolicy": block["FilterPolicy"]}
    )


def test_a_filter_policy_that_is_not_an_object_is_refused():
    block = {"FilterPolicy": "group = feed"}
    with pytest.raises(ConfigError, match="f: FilterPolicy must be a JSON object"):
        declared_settings(_config("dev", {"f": {"event_source": block}}), "dev", {"f": "sns"})


def test_the_merge_template_puts_a_filter_policy_on_the_sns_event():
    sam = {
        "Resources": {
            "F": {
                "Type": "AWS::Serverless::Function",
                "Properties": {"Events": {"FSnsSubscription": {"Type": "SNS", "Properties": {}}}},
            }
        }
    }
    item = Declared("f", "sns", {}, {"FilterPolicy": {"group": ["feed"]}})
    merged = merge_template(sam, [item], lambda function, target: target)
    assert merged["Resources"]["F"] == {
        "Properties": {
            "Events": {"FSnsSubscription": {"Properties": {"FilterPolicy": {"group": ["feed"]}}}}
        }
    }
