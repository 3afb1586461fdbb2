"""``make package``: every alarm and dashboard widget watches something the stage has.

Each metric an alarm or a widget names must exist: an AWS metric's dimensions are the
ones its service reports, and their values name a function, table, index, queue, topic,
stream, consumer or API of the packaged templates; our own metrics carry exactly the
dimensions the code emits them with (read from ``chalicelib`` with ``ast``). Every
alarm's description links to a section of docs/runbooks.md that exists.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import pytest

from deploy.alarms import DYNAMODB_OPERATIONS
from deploy.names import load_cfn_yaml
from tests.deploy.conftest import PACKAGED_STAGES, PROJECT_DIR

RUNBOOKS = PROJECT_DIR / "docs" / "runbooks.md"
# the dimensions each AWS service reports its metrics under (CloudWatch's documentation)
AWS_DIMENSIONS = {
    "AWS/Lambda": {"FunctionName"},
    "AWS/Kinesis": {"StreamName", "ConsumerName"},
    "AWS/SQS": {"QueueName"},
    "AWS/SNS": {"TopicName"},
    "AWS/DynamoDB": {"TableName", "GlobalSecondaryIndexName", "Operation"},
    "AWS/ApiGateway": {"ApiName"},
}


def _emitted_metrics() -> dict[str, set[str]]:
    """Metric name -> the dimension names ``chalicelib`` emits it with (``service`` and
    the keywords of every ``count``/``record`` call that names it)."""
    metrics_py = PROJECT_DIR / "chalicelib" / "observability" / "metrics.py"
    constants = {
        node.target.id: node.value.value
        for node in ast.parse(metrics_py.read_text()).body
        if isinstance(node, ast.AnnAssign)
        and isinstance(node.target, ast.Name)
        and isinstance(node.value, ast.Constant)
    }
    found: dict[str, set[str]] = {}
    for path in (PROJECT_DIR / "chalicelib").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            first = node.args[0]
            named = isinstance(first, ast.Name) and first.id in constants
            if name in ("count", "record") and named:
                dims = {k.arg for k in node.keywords if k.arg} | {"service"}
                found.setdefault(constants[first.id], set()).update(dims)
    return found


EMITTED = _emitted_metrics()


def _sam(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "sam.json").read_text())  # type: ignore[no-any-return]


class Stage:
    """What the packaged templates of one stage hold, by the names CloudWatch sees."""

    def __init__(self, folder: Path) -> None:
        self.sam = _sam(folder)
        resources = load_cfn_yaml(folder / "resources.yaml")
        stage = resources["Parameters"]["Stage"]["Default"]
        defaults = {k: v.get("Default") for k, v in resources["Parameters"].items()}

        def names(kind: str, prop: str) -> dict[str, Any]:
            out = {}
            for resource in resources["Resources"].values():
                if resource["Type"] == kind:
                    value = resource["Properties"][prop]
                    if isinstance(value, dict) and "Fn::Sub" in value:
                        value = value["Fn::Sub"].replace("${Stage}", stage)
                    elif isinstance(value, dict) and "Ref" in value:
                        value = defaults[value["Ref"]]
                    out[value] = resource
            return out

        self.tables = {
            name: {i["IndexName"] for i in r["Properties"].get("GlobalSecondaryIndexes", [])}
            for name, r in names("AWS::DynamoDB::Table", "TableName").items()
        }
        self.queues = set(names("AWS::SQS::Queue", "QueueName"))
        # the alarm topic is left out: it exists only when no topic of the operator's is given
        self.topics = {
            name
            for name, r in names("AWS::SNS::Topic", "TopicName").items()
            if "Condition" not in r
        }
        self.streams = set(names("AWS::Kinesis::Stream", "Name"))
        self.consumers = set(names("AWS::Kinesis::StreamConsumer", "ConsumerName")) - {""}
        self.functions = {
            k for k, v in self.sam["Resources"].items() if v["Type"] == "AWS::Serverless::Function"
        }
        self.api_name = self.sam["Resources"]["RestAPI"]["Properties"]["Name"]
        env = self.sam["Resources"]["AddToFeed"]["Properties"]["Environment"]["Variables"]
        self.namespace = env["METRICS_NAMESPACE"]
        self.service = env["POWERTOOLS_SERVICE_NAME"]

    def function_of(self, value: Any) -> bool:
        """A dimension value that is a function of the template: ``Ref`` or ``${Id}``."""
        if isinstance(value, dict):
            return set(value) == {"Ref"} and value["Ref"] in self.functions
        found = re.fullmatch(r"\$\{(\w+)\}", value)
        return bool(found) and found.group(1) in self.functions

    def check(self, namespace: str, metric: str, dims: dict[str, Any]) -> None:
        """Fail unless the metric exists as named: its dimensions, and what they name
        (a value of None: a SEARCH over every value of that dimension)."""
        where = f"{namespace} {metric} {dims}"
        if namespace == self.namespace:
            assert metric in EMITTED, f"{where}: chalicelib emits no such metric"
            assert set(dims) == EMITTED[metric], f"{where}: emitted with {EMITTED[metric]}"
            assert dims["service"] in (self.service, None), where
            return
        assert namespace in AWS_DIMENSIONS, f"{where}: an unexpected namespace"
        assert set(dims) <= AWS_DIMENSIONS[namespace], f"{where}: no such dimension"
        checks = {
            "FunctionName": lambda v: self.function_of(v),
            "TableName": lambda v: v in self.tables,
            "GlobalSecondaryIndexName": lambda v: v in self.tables[dims["TableName"]],
            "Operation": lambda v: v in DYNAMODB_OPERATIONS,
            "QueueName": lambda v: v in self.queues,
            "TopicName": lambda v: v in self.topics,
            "StreamName": lambda v: v in self.streams,
            "ConsumerName": lambda v: v in self.consumers,
            "ApiName": lambda v: v == self.api_name,
        }
        for name, value in dims.items():
            if value is not None:
                assert checks[name](value), f"{where}: {name}={value!r} names nothing packaged"

    def alarms(self) -> dict[str, dict[str, Any]]:
        return {
            k: v["Properties"]
            for k, v in self.sam["Resources"].items()
            if v["Type"] == "AWS::CloudWatch::Alarm"
        }

    def dashboard(self) -> dict[str, Any]:
        (dashboard,) = [
            v for v in self.sam["Resources"].values() if v["Type"] == "AWS::CloudWatch::Dashboard"
        ]
        body = dashboard["Properties"]["DashboardBody"]["Fn::Sub"]
        for name, parameter in self.sam["Parameters"].items():  # as CloudFormation fills them
            body = body.replace(f"${{{name}}}", str(parameter.get("Default", "")))
        return json.loads(body)  # type: ignore[no-any-return]


def _alarm_metrics(alarm: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    if "MetricName" in alarm:
        return [
            (
                alarm["Namespace"],
                alarm["MetricName"],
                {d["Name"]: d["Value"] for d in alarm["Dimensions"]},
            )
        ]
    return [
        (
            m["MetricStat"]["Metric"]["Namespace"],
            m["MetricStat"]["Metric"]["MetricName"],
            {d["Name"]: d["Value"] for d in m["MetricStat"]["Metric"]["Dimensions"]},
        )
        for m in alarm["Metrics"]
        if "MetricStat" in m
    ]


_SEARCH = re.compile(r"SEARCH\('\{([^}]*)\} MetricName=\"([^\"]+)\"((?: \w+=\"[^\"]*\")*)'")


def _widget_metrics(widget: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for row in widget["properties"].get("metrics", []):
        if isinstance(row[0], dict):  # an expression: a SEARCH names its schema and terms
            search = _SEARCH.search(row[0]["expression"])
            if search is None:
                continue  # arithmetic on the rows beside it
            namespace, *dim_names = search.group(1).split(",")
            terms = dict(re.findall(r'(\w+)="([^"]*)"', search.group(3)))
            dims = {name: terms.get(name) for name in dim_names}
            found.append((namespace, search.group(2), dims))
            continue
        options = row[-1] if isinstance(row[-1], dict) else {}
        plain = row[:-1] if options else row
        found.append((plain[0], plain[1], dict(zip(plain[2::2], plain[3::2], strict=True))))
    return found


@pytest.fixture(scope="module")
def stages(packaged, packaged_variant) -> dict[str, Stage]:
    return {
        **{stage: Stage(packaged[stage]) for stage in PACKAGED_STAGES},
        "dev+consumer": Stage(packaged_variant),
    }


@pytest.mark.parametrize("which", [*PACKAGED_STAGES, "dev+consumer"])
def test_every_alarm_watches_a_metric_that_exists(stages, which):
    stage = stages[which]
    alarms = stage.alarms()
    assert len(alarms) > 80
    for alarm in alarms.values():
        for namespace, metric, dims in _alarm_metrics(alarm):
            stage.check(namespace, metric, dims)


@pytest.mark.parametrize("which", [*PACKAGED_STAGES, "dev+consumer"])
def test_every_dashboard_widget_draws_a_metric_that_exists(stages, which):
    stage = stages[which]
    widgets = [w for w in stage.dashboard()["widgets"] if w["type"] == "metric"]
    drawn = [m for widget in widgets for m in _widget_metrics(widget)]
    assert any(None in dims.values() for _, _, dims in drawn)  # the SEARCHes are read
    for namespace, metric, dims in drawn:
        stage.check(namespace, metric, dims)
    # each resource of the stage has its widgets
    titles = {w["properties"]["title"] for w in widgets}
    assert {f"Table {t}" for t in stage.tables} <= titles
    assert {f"Index {t}/{i}" for t, ix in stage.tables.items() for i in ix} <= titles
    assert {f"Queue {q}" for q in stage.queues} <= titles
    assert {f"Topic {t}" for t in stage.topics} <= titles
    errors = next(w for w in widgets if w["properties"]["title"] == "Lambda errors")
    assert {row[3] for row in errors["properties"]["metrics"]} == {
        f"${{{f}}}" for f in stage.functions
    }


def test_the_reader_is_watched_through_its_consumer_when_the_stage_declares_one(stages):
    def stream_metrics(stage: Stage) -> set[str]:
        alarms = [m for a in stage.alarms().values() for m in _alarm_metrics(a)]
        widgets = [w for w in stage.dashboard()["widgets"] if w["type"] == "metric"]
        drawn = [m for w in widgets for m in _widget_metrics(w)]
        return {metric for namespace, metric, _ in alarms + drawn if namespace == "AWS/Kinesis"}

    polled, pushed = stream_metrics(stages["dev"]), stream_metrics(stages["dev+consumer"])
    assert {"GetRecords.IteratorAgeMilliseconds", "GetRecords.Success"} <= polled
    assert not any(m.startswith("SubscribeToShardEvent") for m in polled)
    assert {
        "SubscribeToShardEvent.MillisBehindLatest",
        "SubscribeToShardEvent.Success",
    } <= pushed
    assert not any(m.startswith("GetRecords") for m in pushed)


def _anchors() -> set[str]:
    return set(re.findall(r"\{#([a-z0-9-]+)\}", RUNBOOKS.read_text()))


@pytest.mark.parametrize("stage", PACKAGED_STAGES)
def test_every_alarm_links_to_a_runbook_section_that_exists(stages, stage):
    anchors = _anchors()
    for logical_id, alarm in stages[stage].alarms().items():
        description = alarm["AlarmDescription"]["Fn::Sub"]
        link = re.search(r"Runbook: \$\{RunbookBaseUrl\}#([a-z0-9-]+)$", description)
        assert link, f"{logical_id}: no runbook link in {description!r}"
        assert link.group(1) in anchors, f"{logical_id}: docs/runbooks.md has no #{link.group(1)}"


@pytest.mark.parametrize("stage", PACKAGED_STAGES)
def test_the_stage_thresholds_are_parameters_with_the_declared_defaults(stages, config, stage):
    template = stages[stage].sam
    declared = config["stages"][stage]["monitoring"]
    parameters = template["Parameters"]
    assert parameters["IteratorAgeAlarmMilliseconds"]["Default"] == 10_000
    assert (
        parameters["IteratorAgeAlarmMilliseconds"]["Default"]
        == (declared["iterator_age_alarm_milliseconds"])
    )
    assert parameters["FreshnessSloSeconds"]["Default"] == declared["freshness_slo_seconds"] == 5
    reader = template["Resources"]["DistributeYublIteratorAgeAlarm"]["Properties"]
    assert (reader["Threshold"], reader["DatapointsToAlarm"], reader["EvaluationPeriods"]) == (
        {"Ref": "IteratorAgeAlarmMilliseconds"},
        {"Ref": "IteratorAgeAlarmDatapoints"},
        {"Ref": "IteratorAgeAlarmMinutes"},
    )
    assert parameters["RetryOldestMessageAlarmSeconds"]["Default"] == 900
    retry = template["Resources"]["RetryQueueOldestMessageAlarm"]["Properties"]
    assert retry["Threshold"] == {"Ref": "RetryOldestMessageAlarmSeconds"}


@pytest.mark.parametrize("stage", PACKAGED_STAGES)
def test_the_freshness_alarm_is_the_p99_of_five_minutes_against_the_objective(stages, stage):
    alarm = stages[stage].sam["Resources"]["FreshnessAlarm"]["Properties"]
    (latency,) = [m for m in alarm["Metrics"] if "MetricStat" in m]
    assert latency["MetricStat"]["Metric"]["MetricName"] == "PostToFeedLatency"
    assert (latency["MetricStat"]["Stat"], latency["MetricStat"]["Period"]) == ("p99", 300)
    (result,) = [m for m in alarm["Metrics"] if m["ReturnData"]]
    assert result["Expression"] == f"{latency['Id']} / 1000"  # milliseconds to seconds
    assert alarm["Threshold"] == {"Ref": "FreshnessSloSeconds"}
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"


@pytest.mark.parametrize("stage", PACKAGED_STAGES)
def test_saved_queries_and_log_shipping_cover_every_function_log_group(stages, stage):
    resources = stages[stage].sam["Resources"]
    groups = [{"Ref": f"{f}LogGroup"} for f in sorted(stages[stage].functions)]
    queries = {
        v["Properties"]["Name"]: v["Properties"]
        for v in resources.values()
        if v["Type"] == "AWS::Logs::QueryDefinition"
    }
    assert sorted(queries) == [
        f"yubl-fanout-{stage}/correlation-id",
        f"yubl-fanout-{stage}/failures-by-policy",
        f"yubl-fanout-{stage}/slowest-fanouts",
    ]
    for query in queries.values():
        assert sorted(query["LogGroupNames"], key=str) == sorted(groups, key=str)
    filters = [v for v in resources.values() if v["Type"] == "AWS::Logs::SubscriptionFilter"]
    assert sorted((f["Properties"]["LogGroupName"] for f in filters), key=str) == sorted(
        groups, key=str
    )  # one filter per log group, never the account-wide policy
    for shipping in filters:
        assert shipping["Condition"] == "ShipLogs"
        assert shipping["Properties"]["DestinationArn"] == {"Ref": "LogDestinationArn"}
        assert shipping["Properties"]["RoleArn"] == {"Ref": "LogDestinationRoleArn"}
    assert not any(v["Type"] == "AWS::Logs::AccountPolicy" for v in resources.values())


def test_the_stream_reports_its_shard_level_metrics(packaged):
    stream = load_cfn_yaml(packaged["prod"] / "resources.yaml")["Resources"]["YublPostedStream"]
    assert set(stream["Properties"]["DesiredShardLevelMetrics"]) == {
        "IncomingBytes",
        "IncomingRecords",
        "OutgoingBytes",
        "OutgoingRecords",
        "WriteProvisionedThroughputExceeded",
        "ReadProvisionedThroughputExceeded",
        "IteratorAgeMilliseconds",
    }
