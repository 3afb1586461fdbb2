"""Deletion protection of the data tables: one declaration per stage in config.json
(``table_deletion_protection``), a parameter of the resources template."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy.stack_parameters import declared_parameters, stack_parameters
from local_runtime.config import ConfigError
from tests.deploy.conftest import PACKAGED_STAGES


def _resources(folder: Path) -> dict[str, Any]:
    return yaml.safe_load((folder / "resources.yaml").read_text())  # type: ignore[no-any-return]


def test_prod_declares_protection_and_dev_does_not(config):
    assert config["stages"]["prod"]["table_deletion_protection"] is True
    assert config["stages"]["dev"]["table_deletion_protection"] is False


@pytest.mark.parametrize("stage", PACKAGED_STAGES)
def test_the_packaged_stage_protects_its_tables_as_declared(packaged, config, stage):
    # GIVEN the stage's declaration WHEN packaged
    declared = config["stages"][stage]["table_deletion_protection"]
    template = _resources(packaged[stage])
    # THEN the template's parameter defaults to it, for that stage
    assert template["Parameters"]["Stage"]["Default"] == stage
    parameter = template["Parameters"]["TableDeletionProtection"]
    assert parameter["Default"] == ("true" if declared else "false")
    assert parameter["AllowedValues"] == ["true", "false"]
    assert template["Conditions"]["ProtectTables"] == {
        "Fn::Equals": [{"Ref": "TableDeletionProtection"}, "true"]
    }
    # AND every table follows it, with point-in-time recovery on
    tables = {
        name: resource["Properties"]
        for name, resource in template["Resources"].items()
        if resource["Type"] == "AWS::DynamoDB::Table"
    }
    assert set(tables) == {
        f"{name}Table"
        for name in (
            "Relationships",
            "Feeds",
            "Posts",
            "Activity",
            "Authors",
            "Notifications",
            "Mutes",
            "FanoutProgress",
            "ShortLinks",
            "Config",
            "ConfigApiKeys",
            "Users",
            "ArchiveIndex",
        )
    }
    for name, properties in tables.items():
        assert properties["DeletionProtectionEnabled"] == {
            "Fn::If": ["ProtectTables", True, False]
        }, name
        assert properties["PointInTimeRecoverySpecification"] == {
            "PointInTimeRecoveryEnabled": True
        }, name


def test_make_deploy_passes_the_declared_values_with_the_given_ones(config):
    given = {"AlarmEmail": "ops@example.com", "TableDeletionProtection": "true"}
    assert stack_parameters(config, "prod", given) == {
        "AlarmEmail": "ops@example.com",
        "TableDeletionProtection": "true",
        "StreamConsumerName": "",
    }
    assert declared_parameters(config, "dev") == {
        "TableDeletionProtection": "false",
        "StreamConsumerName": "",
    }


def test_params_may_not_contradict_the_declaration(config):
    with pytest.raises(ConfigError, match="TableDeletionProtection is declared for stage dev"):
        stack_parameters(config, "dev", {"TableDeletionProtection": "true"})


@pytest.mark.parametrize(
    ("settings", "error"),
    [
        ({"table_deletion_protection": "yes"}, "table_deletion_protection must be true or false"),
        ({"stream_consumer_name": "no spaces"}, "stream_consumer_name must be 1-128"),
    ],
)
def test_a_wrong_declaration_is_refused(config, settings, error):
    changed = {**config, "stages": {"dev": {**config["stages"]["dev"], **settings}}}
    with pytest.raises(ConfigError, match=error):
        declared_parameters(changed, "dev")


def test_a_re_run_keeps_the_stacks_values_unless_given_or_declared(config):
    # GIVEN a deployed prod stack whose values came from PARAMS and an older declaration
    previous = {
        "Stage": "prod",
        "AlarmEmail": "ops@example.com",
        "StreamShardCount": "4",
        "TableDeletionProtection": "false",
    }
    # WHEN make deploy runs again with one parameter given
    parameters = stack_parameters(config, "prod", {"StreamShardCount": "8"}, previous)
    # THEN the rest is kept, the given one wins, the declaration wins, Stage is the caller's
    assert parameters == {
        "AlarmEmail": "ops@example.com",
        "StreamShardCount": "8",
        "TableDeletionProtection": "true",
        "StreamConsumerName": "",
    }
