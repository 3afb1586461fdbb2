"""make deploy writes the resources stack's outputs into the stage's settings: resource
names, and the ids AWS generates (the user pool and its client), which no name predicts."""

from __future__ import annotations

import json
import shutil

from deploy.stage import write_stage_settings
from devstack.stack import PROJECT_DIR


def test_the_user_pool_ids_and_changed_names_are_written_and_nothing_else(tmp_path):
    (tmp_path / ".chalice").mkdir()
    shutil.copy(PROJECT_DIR / ".chalice" / "config.json", tmp_path / ".chalice" / "config.json")
    before = json.loads((tmp_path / ".chalice" / "config.json").read_text())
    outputs = {
        "UserPoolId": "eu-west-1_AbCdEf123",
        "UserPoolClientId": "4c1ient1d",
        "FeedsTableName": "feeds-dev",  # already right
        "RelationshipsTableName": "relationships-dev-2",  # changed
        "SomethingElse": "ignored",
    }
    changed = write_stage_settings(tmp_path, "dev", outputs)
    assert changed == {
        "USER_POOL_ID": "eu-west-1_AbCdEf123",
        "USER_POOL_CLIENT_ID": "4c1ient1d",
        "RELATIONSHIPS_TABLE": "relationships-dev-2",
    }
    after = json.loads((tmp_path / ".chalice" / "config.json").read_text())
    expected = before["stages"]["dev"]["environment_variables"] | changed
    assert after["stages"]["dev"]["environment_variables"] == expected
    assert after["stages"]["prod"] == before["stages"]["prod"]
    assert write_stage_settings(tmp_path, "dev", outputs) == {}  # a second run changes nothing
