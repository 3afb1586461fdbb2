"""What the deployment declares, held for every stage: the stream has one reader (the
dispatcher), and every subscriber group has its topic in the template, in the stage's
settings, in its IAM policy, and a worker whose filter policy names its group."""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cache

import pytest
from cfnlint.decode import decode_str

from devstack.stack import PROJECT_DIR

CONFIG = json.loads((PROJECT_DIR / ".chalice" / "config.json").read_text())
STAGES = sorted(CONFIG["stages"])

# Loads the app in a fresh interpreter with the stage's environment (Chalice reads the
# decorator arguments at import) and prints every event source it declares.
_LIST_SOURCES = """
import json, sys
from local_runtime.project import load_project
project = load_project(sys.argv[1], sys.argv[2])
print(json.dumps([
    [type(s).__name__, s.name, getattr(s, "stream", None) or getattr(s, "topic", None)
     or getattr(s, "queue", None)]
    for s in project.app.event_sources
]))
"""


@cache
def _all_event_sources() -> dict[str, list[list[str]]]:
    """Every stage's event sources, the stages loaded side by side."""
    running = {
        stage: subprocess.Popen(
            [sys.executable, "-c", _LIST_SOURCES, str(PROJECT_DIR), stage],
            cwd=PROJECT_DIR,
            env={"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for stage in STAGES
    }
    found = {}
    for stage, process in running.items():
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        found[stage] = json.loads(out.splitlines()[-1])
    return found


def _event_sources(stage: str) -> list[list[str]]:
    return _all_event_sources()[stage]


def _env(stage: str) -> dict[str, str]:
    return {**CONFIG["environment_variables"], **CONFIG["stages"][stage]["environment_variables"]}


def _group_topics(stage: str) -> dict[str, str]:
    return dict(json.loads(_env(stage)["GROUP_TOPICS"]))


def _priority_topics(stage: str) -> dict[str, str]:
    return dict(json.loads(_env(stage)["PRIORITY_GROUP_TOPICS"]))


@pytest.mark.parametrize("stage", STAGES)
def test_the_stream_has_exactly_one_event_source_mapping_the_dispatcher(stage):
    kinesis = [s for s in _event_sources(stage) if s[0] == "KinesisEventConfig"]
    assert kinesis == [["KinesisEventConfig", "distribute_yubl", f"yubl-posted-{stage}"]]
    # and no stage gives another function stream-mapping settings
    stream_keys = {
        "BisectBatchOnFunctionError",
        "MaximumRecordAgeInSeconds",
        "ParallelizationFactor",
    }
    functions = CONFIG["stages"][stage].get("lambda_functions", {})
    with_stream_keys = [
        name
        for name, settings in functions.items()
        if stream_keys & set(settings.get("event_source", {}))
    ]
    assert with_stream_keys == ["distribute_yubl"]


@pytest.mark.parametrize("stage", STAGES)
def test_each_group_topic_is_named_group_dash_stage(stage):
    assert _group_topics(stage) == {
        "feed": f"feed-{stage}",
        "notifications": f"notifications-{stage}",
        "archive": f"archive-{stage}",
        "accounts": f"accounts-{stage}",
    }


def test_every_group_has_a_topic_in_the_template():
    template, problems = decode_str((PROJECT_DIR / "infra" / "resources.yaml").read_text())
    assert problems == []
    names = sorted(
        resource["Properties"]["TopicName"]["Fn::Sub"]
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::SNS::Topic"
        and logical_id not in ("AlarmTopic", "FanoutWorkTopic")  # ops; follower ranges
    )
    groups = sorted(_group_topics("local"))
    lanes = sorted(_priority_topics("local"))
    assert names == sorted(
        [f"{group}-${{Stage}}" for group in groups] + [f"{g}-priority-${{Stage}}" for g in lanes]
    )


@pytest.mark.parametrize("stage", STAGES)
def test_the_feed_groups_priority_lane_is_its_own_topic_named_group_priority_stage(stage):
    assert _priority_topics(stage) == {"feed": f"feed-priority-{stage}"}


@pytest.mark.parametrize("stage", [s for s in STAGES if CONFIG["stages"][s].get("iam_policy_file")])
def test_the_stages_iam_policy_lets_the_dispatcher_publish_to_every_group(stage):
    policy = json.loads(
        (PROJECT_DIR / ".chalice" / CONFIG["stages"][stage]["iam_policy_file"]).read_text()
    )
    published = set()
    for statement in policy["Statement"]:
        actions = statement["Action"]
        if "sns:Publish" in (actions if isinstance(actions, list) else [actions]):
            resources = statement["Resource"]
            published |= set(resources if isinstance(resources, list) else [resources])
    work_topic = _env(stage)["FANOUT_WORK_TOPIC"]
    topics = [*_group_topics(stage).values(), *_priority_topics(stage).values(), work_topic]
    assert published == {f"arn:aws:sns:*:*:{topic}" for topic in topics}


@pytest.mark.parametrize("stage", STAGES)
def test_each_sns_worker_subscribes_to_its_groups_topic_with_a_filter_naming_the_group(stage):
    workers = {s[1]: s[2] for s in _event_sources(stage) if s[0] == "SNSEventConfig"}
    topics = _group_topics(stage)
    assert workers.pop("fan_out_range") == _env(stage)["FANOUT_WORK_TOPIC"]  # not a group
    assert workers == {
        "add_to_feed": topics["feed"],
        "add_to_feed_priority": _priority_topics(stage)["feed"],
        "notify_mentioned": topics["notifications"],
    }
    functions = CONFIG["stages"][stage]["lambda_functions"]
    groups = {name: functions[name]["event_source"]["FilterPolicy"]["group"] for name in workers}
    assert groups == {
        "add_to_feed": ["feed"],
        "add_to_feed_priority": ["feed"],
        "notify_mentioned": ["notifications"],
    }


@pytest.mark.parametrize("stage", STAGES)
def test_each_feed_lane_has_a_reserved_concurrency_and_the_same_async_policies(stage):
    functions = CONFIG["stages"][stage]["lambda_functions"]
    bulk, priority = functions["add_to_feed"], functions["add_to_feed_priority"]
    assert bulk["event_source"] == priority["event_source"]
    assert isinstance(bulk["reserved_concurrency"], int) and bulk["reserved_concurrency"] >= 1
    assert isinstance(priority["reserved_concurrency"], int)
    assert priority["reserved_concurrency"] >= 1


@pytest.mark.parametrize("stage", STAGES)
def test_the_range_work_topic_is_in_the_template_and_its_worker_has_the_async_policies(stage):
    template, problems = decode_str((PROJECT_DIR / "infra" / "resources.yaml").read_text())
    assert problems == []
    topic = template["Resources"]["FanoutWorkTopic"]["Properties"]["TopicName"]["Fn::Sub"]
    assert topic.replace("${Stage}", stage) == _env(stage)["FANOUT_WORK_TOPIC"]
    assert _env(stage)["FANOUT_WORK_TOPIC"] == f"fanout-ranges-{stage}"
    source = CONFIG["stages"][stage]["lambda_functions"]["fan_out_range"]["event_source"]
    assert source == {
        "MaximumRetryAttempts": 2,
        "DestinationConfig": {"OnFailure": {"Destination": f"yubl-dead-letters-{stage}"}},
    }
