"""``make deploy STAGE=local`` against an emulator of its own: everything lands, twice.

A separate moto server, not ``make run``'s or the session's: moto would consume the
deployed mappings' queues itself, racing the local runtime. moto keeps the functions,
mappings, subscriptions and routes but never runs the functions, which is all a deploy
test needs. Its API Gateway gaps are worked around in ``chalice_for_moto.py`` (test
side only).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from deploy.apply import Clients, apply_declared
from devstack.emulator import aws_environment, start_emulator
from tests.deploy.conftest import PROJECT_DIR, copy_project

pytestmark = pytest.mark.emulator

STAGE = "local"
ACCOUNT, REGION = "123456789012", "us-east-1"  # moto's default account; the test's region
ALARM_EMAIL = "ops@example.com"


def _deploy(project: Path, environ: dict[str, str], *extra: str) -> str:
    command = extra or ("deploy",)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.deploy.deploy_for_moto",
            *command,
            "--stage",
            STAGE,
            "--project-dir",
            str(project),
        ],
        cwd=PROJECT_DIR,
        env=environ,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return result.stdout


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Deploy twice to a fresh emulator; the clients and each run's output."""
    emulator = start_emulator()
    project = copy_project(tmp_path_factory.mktemp("project"))
    aws = aws_environment(emulator.endpoint_url, REGION)
    queries = tmp_path_factory.mktemp("queries") / "query-definitions.json"
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
        **aws,
        "CHALICE": f"{sys.executable} {Path(__file__).with_name('chalice_for_moto.py')}",
        "QUERY_DEFINITIONS_FILE": str(queries),
    }
    saved = dict(os.environ)
    try:
        first = _deploy(project, environ, "deploy", "--parameter", f"AlarmEmail={ALARM_EMAIL}")
        second = _deploy(project, environ)  # no PARAMS this time
        session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
        )
        names = ("lambda", "sns", "apigateway", "logs", "cloudwatch", "cloudformation", "s3")
        clients = {name: session.client(name, endpoint_url=emulator.endpoint_url) for name in names}
        os.environ.update(aws)  # for the in-process apply step (Clients)
        yield {
            "first": first,
            "second": second,
            "project": project,
            "clients": Clients(boto3.session.Session(region_name=REGION)),
            "environ": environ,
            "queries": queries,
            **clients,
        }
    finally:
        os.environ.clear()
        os.environ.update(saved)
        emulator.stop()


def _config() -> dict[str, Any]:
    return json.loads((PROJECT_DIR / ".chalice" / "config.json").read_text())  # type: ignore[no-any-return]


def _function_arn(function: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:yubl-fanout-{STAGE}-{function}"


def _queue_arn(name: str) -> str:
    return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"


def _declared() -> dict[str, dict[str, Any]]:
    functions = _config()["stages"][STAGE]["lambda_functions"]
    return {f: v["event_source"] for f, v in functions.items() if "event_source" in v}


def test_every_function_is_deployed(deployed):
    names = {f["FunctionName"] for f in deployed["lambda"].list_functions()["Functions"]}
    expected = {f"yubl-fanout-{STAGE}-{f}" for f in _config()["lambda_functions"]}
    assert expected | {f"yubl-fanout-{STAGE}"} == names  # plus the API handler


def test_the_kinesis_mapping_carries_every_declared_failure_setting(deployed):
    block = _declared()["distribute_yubl"]
    (mapping,) = deployed["lambda"].list_event_source_mappings(
        FunctionName=_function_arn("distribute_yubl")
    )["EventSourceMappings"]
    assert (
        mapping["EventSourceArn"] == f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/yubl-posted-local"
    )
    assert mapping["BisectBatchOnFunctionError"] is block["BisectBatchOnFunctionError"] is True
    assert mapping["MaximumRetryAttempts"] == block["MaximumRetryAttempts"] == 10
    assert mapping["MaximumRecordAgeInSeconds"] == block["MaximumRecordAgeInSeconds"] == 86400
    assert mapping["ParallelizationFactor"] == block["ParallelizationFactor"] == 10
    assert mapping["DestinationConfig"]["OnFailure"] == {
        "Destination": _queue_arn("yubl-dead-letters-local")
    }


def test_the_sqs_mapping_of_the_retry_worker_is_in_place(deployed):
    (mapping,) = deployed["lambda"].list_event_source_mappings(
        FunctionName=_function_arn("retry_parked")
    )["EventSourceMappings"]
    assert mapping["EventSourceArn"] == _queue_arn("yubl-retry-local")
    assert mapping["BatchSize"] == 1


def test_the_sns_function_is_subscribed_with_its_event_invoke_config(deployed):
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:feed-local"
    subscriptions = deployed["sns"].list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert [(s["Protocol"], s["Endpoint"]) for s in subscriptions] == [
        ("lambda", _function_arn("add_to_feed"))
    ]
    invoke = deployed["lambda"].get_function_event_invoke_config(
        FunctionName=_function_arn("add_to_feed")
    )
    assert invoke["MaximumRetryAttempts"] == 2
    assert invoke["DestinationConfig"]["OnFailure"] == {
        "Destination": _queue_arn("yubl-dead-letters-local")
    }


def test_each_feed_lane_gets_its_reserved_concurrency(deployed):
    functions = _config()["stages"][STAGE]["lambda_functions"]
    for function in ("add_to_feed", "add_to_feed_priority"):
        got = deployed["lambda"].get_function_concurrency(FunctionName=_function_arn(function))
        assert got["ReservedConcurrentExecutions"] == functions[function]["reserved_concurrency"]


def test_every_route_is_deployed(deployed, packaged):
    # the routes Chalice declares, read from the swagger document of a packaged stage
    swagger = json.loads((packaged["dev"] / "sam.json").read_text())
    routes = set(swagger["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]["paths"])
    assert "/yubls" in routes  # the document is the one we think
    (api,) = deployed["apigateway"].get_rest_apis()["items"]
    paths = {r["path"] for r in deployed["apigateway"].get_resources(restApiId=api["id"])["items"]}
    assert routes <= paths, routes - paths


def test_the_api_stage_is_throttled_as_declared(deployed):
    declared = _config()["stages"][STAGE]["api_gateway_throttling"]
    (api,) = deployed["apigateway"].get_rest_apis()["items"]
    stage = deployed["apigateway"].get_stage(restApiId=api["id"], stageName="api")
    throttling = stage["methodSettings"]["*/*"]
    assert throttling["throttlingRateLimit"] == declared["rate_limit"]
    assert throttling["throttlingBurstLimit"] == declared["burst_limit"]


def _deployed_names() -> list[str]:
    return [f"yubl-fanout-{STAGE}-{f}" for f in _config()["lambda_functions"]] + [
        f"yubl-fanout-{STAGE}"
    ]


def test_every_function_log_group_keeps_logs_30_days(deployed):
    groups = deployed["logs"].describe_log_groups(logGroupNamePrefix="/aws/lambda/")["logGroups"]
    retention = {g["logGroupName"]: g.get("retentionInDays") for g in groups}
    assert retention == {f"/aws/lambda/{name}": 30 for name in _deployed_names()}


def _alarms(deployed) -> dict[str, dict[str, Any]]:
    pages = (
        deployed["cloudwatch"]
        .get_paginator("describe_alarms")
        .paginate(AlarmNamePrefix=f"yubl-fanout-{STAGE}-")
    )
    return {a["AlarmName"]: a for page in pages for a in page["MetricAlarms"]}


def test_every_function_alarms_on_errors_throttles_and_duration_to_the_alarm_topic(deployed):
    stack = deployed["cloudformation"].describe_stacks(StackName=f"yubl-fanout-{STAGE}")
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Stacks"][0]["Outputs"]}
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:yubl-alarms-{STAGE}"
    assert outputs["AlarmTopicArn"] == topic
    alarms = _alarms(deployed)
    timeouts = {f: v.get("lambda_timeout", 60) for f, v in _config()["lambda_functions"].items()}
    for name in _deployed_names():
        errors = alarms[f"{name}-errors"]
        assert (errors["Namespace"], errors["MetricName"]) == ("AWS/Lambda", "Errors")
        assert errors["Dimensions"] == [{"Name": "FunctionName", "Value": name}]
        assert errors["AlarmActions"] == [topic]
        # throttles as a share of invocations, SLIC Watch's way: metric math
        throttles = alarms[f"{name}-throttles"]
        stats = {
            m["Id"]: m["MetricStat"]["Metric"] for m in throttles["Metrics"] if "MetricStat" in m
        }
        assert {i: (m["MetricName"], m["Dimensions"]) for i, m in stats.items()} == {
            "throttles": ("Throttles", [{"Name": "FunctionName", "Value": name}]),
            "invocations": ("Invocations", [{"Name": "FunctionName", "Value": name}]),
        }
        assert (throttles["DatapointsToAlarm"], throttles["EvaluationPeriods"]) == (3, 5)
        function = name.removeprefix(f"yubl-fanout-{STAGE}").lstrip("-") or "api_handler"
        assert alarms[f"{name}-duration"]["Threshold"] == timeouts.get(function, 60) * 950


def test_the_stream_reader_and_the_queues_alarm_at_the_stage_thresholds(deployed):
    alarms = _alarms(deployed)
    reader = alarms[f"yubl-fanout-{STAGE}-distribute_yubl-iterator-age"]
    assert (reader["MetricName"], reader["Statistic"]) == ("IteratorAge", "Maximum")
    assert (reader["Threshold"], reader["DatapointsToAlarm"], reader["EvaluationPeriods"]) == (
        10_000,
        3,
        5,
    )
    stream = alarms[f"yubl-fanout-{STAGE}-stream-iterator-age"]
    assert stream["MetricName"] == "GetRecords.IteratorAgeMilliseconds"
    assert stream["Dimensions"] == [{"Name": "StreamName", "Value": f"yubl-posted-{STAGE}"}]
    retry = alarms[f"yubl-fanout-{STAGE}-retry-queue-oldest-message"]
    assert (retry["MetricName"], retry["Threshold"]) == ("ApproximateAgeOfOldestMessage", 900)
    assert retry["Dimensions"] == [{"Name": "QueueName", "Value": f"yubl-retry-{STAGE}"}]
    dead = alarms[f"yubl-fanout-{STAGE}-dead-letters-not-empty"]
    assert (dead["MetricName"], dead["Threshold"], dead["ComparisonOperator"]) == (
        "ApproximateNumberOfMessagesVisible",
        0,
        "GreaterThanThreshold",
    )
    assert dead["Dimensions"] == [{"Name": "QueueName", "Value": f"yubl-dead-letters-{STAGE}"}]


def test_every_alarm_links_to_its_runbook_section(deployed):
    alarms = _alarms(deployed)
    assert len(alarms) > 80  # every function, table, index, queue, topic, the stream, the API
    for name, alarm in alarms.items():
        assert "Runbook: docs/runbooks.md#" in alarm["AlarmDescription"], name


def test_the_dashboard_is_on_the_emulator_with_every_function(deployed):
    body = json.loads(
        deployed["cloudwatch"].get_dashboard(DashboardName=f"yubl-fanout-{STAGE}")["DashboardBody"]
    )
    titles = {w["properties"].get("title"): w["properties"] for w in body["widgets"]}
    errors = titles["Lambda errors"]["metrics"]
    assert sorted(row[3] for row in errors) == sorted(_deployed_names())
    assert titles["Lambda errors"]["region"] == REGION
    assert f"Queue yubl-dead-letters-{STAGE}" in titles
    assert "Post to feed latency (s), from arrival on the stream" in titles


def test_the_saved_queries_cover_every_function_log_group(deployed):
    saved = json.loads(deployed["queries"].read_text())
    groups = sorted(f"/aws/lambda/{name}" for name in _deployed_names())
    assert sorted(q["name"] for q in saved.values()) == [
        f"yubl-fanout-{STAGE}/correlation-id",
        f"yubl-fanout-{STAGE}/failures-by-policy",
        f"yubl-fanout-{STAGE}/slowest-fanouts",
    ]
    for query in saved.values():
        assert sorted(query["logGroupNames"]) == groups


def test_the_first_run_applies_the_settings_and_the_second_changes_nothing(deployed):
    assert "distribute_yubl: mapping" in deployed["first"]
    assert "add_to_feed: event-invoke config set" in deployed["first"]
    assert "every declared event-source setting already in place" in deployed["second"]
    assert "mapping" not in deployed["second"].split("[4/5]")[1]
    assert "alarm yubl-fanout-local-distribute_yubl-errors set" in deployed["first"]
    # moto gap: its CreateDeployment replaces the stage, dropping the stage's method
    # settings, so after moto's second `chalice deploy` the throttling is set again. API
    # Gateway keeps a stage's settings across deployments. Only that line is ignored.
    moto_reset = "API stage api: throttling 100/s, burst 200\n"
    assert deployed["second"].split("[4/5]")[1].replace(moto_reset, "") == (
        " declared event-source settings\n"
        "local: every declared event-source setting already in place\n"
        "[5/5] monitoring: log groups, alarms, dashboard, saved queries, log shipping\n"
        "the stage's monitoring is already in place\n"
    )


def test_a_setting_changed_by_hand_is_put_back_and_nothing_else_touched(deployed):
    # GIVEN someone lowered the dispatcher's retries in the console
    arn = _function_arn("distribute_yubl")
    (mapping,) = deployed["lambda"].list_event_source_mappings(FunctionName=arn)[
        "EventSourceMappings"
    ]
    deployed["lambda"].update_event_source_mapping(UUID=mapping["UUID"], MaximumRetryAttempts=3)
    # WHEN the apply step runs again
    said: list[str] = []
    changes = apply_declared(deployed["project"], STAGE, deployed["clients"], said.append)
    # THEN exactly that setting is put back
    assert changes == [f"distribute_yubl: mapping {mapping['UUID']} set ['MaximumRetryAttempts']"]
    after = deployed["lambda"].get_event_source_mapping(UUID=mapping["UUID"])
    assert after["MaximumRetryAttempts"] == 10


def test_a_declared_filter_policy_is_set_on_the_subscription(deployed):
    # GIVEN the deployed project's config gains a FilterPolicy for add_to_feed
    path = deployed["project"] / ".chalice" / "config.json"
    config = json.loads(path.read_text())
    policy = {"subscriber_group": ["feed"]}
    block = config["stages"][STAGE]["lambda_functions"]["add_to_feed"]["event_source"]
    block["FilterPolicy"] = policy
    path.write_text(json.dumps(config))
    # WHEN the apply step runs
    changes = apply_declared(deployed["project"], STAGE, deployed["clients"], lambda line: None)
    # THEN the subscription filters with it, and nothing else changed
    assert changes == ["add_to_feed: subscription FilterPolicy set"]
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:feed-local"
    (subscription,) = deployed["sns"].list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    attributes = deployed["sns"].get_subscription_attributes(
        SubscriptionArn=subscription["SubscriptionArn"]
    )["Attributes"]
    assert json.loads(attributes["FilterPolicy"]) == policy
    # AND a second run leaves it
    assert apply_declared(deployed["project"], STAGE, deployed["clients"], lambda line: None) == []


def test_a_parameter_given_once_is_kept_by_a_run_without_it(deployed):
    # GIVEN the first run got AlarmEmail and the second no PARAMS at all
    assert f"kept from the last deploy: AlarmEmail={ALARM_EMAIL}\n" in deployed["second"]
    # THEN the stack still has it (CloudFormation alone would reset it to "")
    stack = deployed["cloudformation"].describe_stacks(StackName=f"yubl-fanout-{STAGE}")
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Stacks"][0]["Parameters"]}
    assert parameters["AlarmEmail"] == ALARM_EMAIL
    assert parameters["TableDeletionProtection"] == "false"  # local declares none: the default


def test_destroy_without_confirm_removes_the_app_and_keeps_the_data(deployed):
    # runs second to last: it takes down what the other tests looked at
    said = _deploy(deployed["project"], deployed["environ"], "destroy")
    assert "alarm yubl-fanout-local-distribute_yubl-errors deleted" in said
    assert "run again with CONFIRM=yes to delete the data too" in said
    assert deployed["lambda"].list_functions()["Functions"] == []
    assert deployed["lambda"].list_event_source_mappings()["EventSourceMappings"] == []
    assert deployed["apigateway"].get_rest_apis()["items"] == []
    alarms = deployed["cloudwatch"].describe_alarms(AlarmNamePrefix="yubl-fanout-local-")
    assert alarms["MetricAlarms"] == []
    assert deployed["cloudwatch"].list_dashboards()["DashboardEntries"] == []
    assert json.loads(deployed["queries"].read_text()) == {}
    # the resources stack (tables, stream, queues) and the functions' logs stay
    (stack,) = deployed["cloudformation"].describe_stacks(StackName="yubl-fanout-local")["Stacks"]
    assert stack["StackStatus"] in ("CREATE_COMPLETE", "UPDATE_COMPLETE")
    groups = deployed["logs"].describe_log_groups(logGroupNamePrefix="/aws/lambda/")["logGroups"]
    assert len(groups) == len(_deployed_names())


def test_destroy_with_confirm_removes_the_data_too(deployed):
    # runs last
    # GIVEN the archive worker left a file in the archive bucket
    bucket = f"yubl-archive-{STAGE}"
    deployed["s3"].put_object(Bucket=bucket, Key="2026/11/23/batch.jsonl", Body=b"{}\n")
    said = _deploy(deployed["project"], deployed["environ"], "destroy", "--confirm")
    assert f"emptied bucket {bucket} (1 objects)" in said
    assert bucket not in {b["Name"] for b in deployed["s3"].list_buckets()["Buckets"]}
    assert (
        deployed["logs"].describe_log_groups(logGroupNamePrefix="/aws/lambda/")["logGroups"] == []
    )
    stacks = deployed["cloudformation"].list_stacks()["StackSummaries"]
    assert {s["StackStatus"] for s in stacks if s["StackName"] == "yubl-fanout-local"} <= {
        "DELETE_COMPLETE"
    }
