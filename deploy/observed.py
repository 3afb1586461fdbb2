"""What one stage has to watch: its functions, stream, tables, queues and topics.

Read from the two sources that already say so, never from a list kept here: the
resources template (every table with its indexes, queue, topic and the stream, names
resolved for the stage) and what Chalice made of the app (every function, packaged or
deployed, with the kind of its event source; its timeout through ``chalice.config.Config``).
A new table or handler is watched with no change here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chalice.config import Config
from chalice.constants import DEFAULT_LAMBDA_TIMEOUT
from chalice.utils import to_cfn_resource_name

from deploy.names import resolved_name
from local_runtime.config import ConfigError

__all__ = [
    "API_HANDLER",
    "DEFAULT_METRICS_NAMESPACE",
    "DEFAULT_SERVICE",
    "Function",
    "Observed",
    "Table",
    "configured_functions",
    "observed_stage",
]

API_HANDLER = "api_handler"  # Chalice's name for the function behind the REST API
# the defaults of chalicelib/observability/settings.py (deploy/ never imports chalicelib;
# tests/unit/test_monitoring_settings.py holds the two together)
DEFAULT_METRICS_NAMESPACE = "YublFanout"
DEFAULT_SERVICE = "yubl-fanout"


@dataclass(frozen=True)
class Function:
    name: str  # Chalice's name of the function (``api_handler`` for the REST API's)
    logical_id: str  # its resource id in Chalice's SAM template
    deployed_name: str  # ``<app>-<stage>-<name>``, ``<app>-<stage>`` for the API's
    timeout_seconds: int
    stream_fed: bool  # read from a Kinesis stream: Lambda reports its IteratorAge


@dataclass(frozen=True)
class Table:
    name: str
    indexes: tuple[str, ...]  # global secondary indexes


@dataclass(frozen=True)
class Observed:
    """Everything of one stage that has metrics, by the names CloudWatch knows them by."""

    app: str
    stage: str
    namespace: str  # of the app's own metrics (METRICS_NAMESPACE)
    service: str  # their ``service`` dimension (POWERTOOLS_SERVICE_NAME)
    stream: str
    consumer: str | None  # the dispatcher's enhanced fan-out consumer, if any
    tables: tuple[Table, ...]
    topics: tuple[str, ...]
    retry_queue: str
    dead_letter_queue: str
    other_queues: tuple[str, ...]
    functions: tuple[Function, ...]
    api_name: str | None  # the REST API's name (API Gateway's ApiName), if the app has routes

    @property
    def prefix(self) -> str:
        """What every name this stage's monitoring makes begins with."""
        return f"{self.app}-{self.stage}"

    @property
    def queues(self) -> tuple[str, ...]:
        return (self.retry_queue, self.dead_letter_queue, *self.other_queues)


def _named(template: Mapping[str, Any], kind: str, prop: str, stage: str) -> dict[str, str]:
    """Logical id -> resolved name of every unconditional resource of ``kind``."""
    found = {}
    for logical_id, resource in template.get("Resources", {}).items():
        if resource.get("Type") != kind or "Condition" in resource:
            continue
        name = resolved_name(resource.get("Properties", {}).get(prop), stage)
        if name is None:
            raise ConfigError(f"{logical_id}: {prop} must be a name or !Sub of the stage")
        found[logical_id] = name
    return found


def _tables(template: Mapping[str, Any], stage: str) -> tuple[Table, ...]:
    resources = template.get("Resources", {})
    return tuple(
        Table(
            name,
            tuple(
                index["IndexName"]
                for index in resources[logical_id]["Properties"].get("GlobalSecondaryIndexes", [])
            ),
        )
        for logical_id, name in _named(template, "AWS::DynamoDB::Table", "TableName", stage).items()
    )


def _dead_letter_targets(template: Mapping[str, Any]) -> set[str]:
    """Logical ids of the queues that a redrive policy moves messages to."""
    targets = set()
    for resource in template.get("Resources", {}).values():
        target = resource.get("Properties", {}).get("RedrivePolicy", {}).get("deadLetterTargetArn")
        if isinstance(target, Mapping) and "Fn::GetAtt" in target:
            targets.add(target["Fn::GetAtt"][0])
    return targets


def _environment(config: Mapping[str, Any], stage: str) -> dict[str, str]:
    return {
        **config.get("environment_variables", {}),
        **config["stages"][stage].get("environment_variables", {}),
    }


def _functions(
    config: Mapping[str, Any], stage: str, kinds: Mapping[str, str]
) -> tuple[Function, ...]:
    prefix = f"{config['app_name']}-{stage}"
    found = []
    for name in sorted(kinds):
        chalice = Config(chalice_stage=stage, function_name=name, config_from_disk=dict(config))
        api = name == API_HANDLER
        found.append(
            Function(
                name=name,
                logical_id="APIHandler" if api else to_cfn_resource_name(name),
                deployed_name=prefix if api else f"{prefix}-{name}",
                timeout_seconds=int(chalice.lambda_timeout or DEFAULT_LAMBDA_TIMEOUT),
                stream_fed=kinds[name] == "kinesis",
            )
        )
    return tuple(found)


def configured_functions(config: Mapping[str, Any], stage: str) -> dict[str, str]:
    """Every function ``.chalice/config.json`` names for the stage, kinds unknown (""), and
    the API's: for a stage of which nothing is known to be deployed."""
    names = set(config.get("lambda_functions", {}))
    names |= set(config.get("stages", {}).get(stage, {}).get("lambda_functions", {}))
    return {name: "" for name in [*names, API_HANDLER]}


def observed_stage(
    config: Mapping[str, Any],
    stage: str,
    resources: Mapping[str, Any],
    functions: Mapping[str, str],
    api_name: str | None,
    consumer: str | None = None,
) -> Observed:
    """The stage's watched parts.

    ``resources``: the resources template as data; ``functions``: every function Chalice
    made, by its name (``api_handler`` for the API's), with the kind of its event source
    ("kinesis", "sns", "sqs", or "" for none); ``api_name``: the REST API's name, None
    without routes.
    """
    if stage not in config.get("stages", {}):
        raise ConfigError(f".chalice/config.json has no stage {stage!r}")
    env = _environment(config, stage)
    (stream,) = _named(resources, "AWS::Kinesis::Stream", "Name", stage).values()
    queues = _named(resources, "AWS::SQS::Queue", "QueueName", stage)
    dead = [queues[q] for q in sorted(_dead_letter_targets(resources)) if q in queues]
    if len(dead) != 1:
        raise ConfigError(f"the resources template must have one dead-letter queue, has {dead}")
    retry = env.get("RETRY_QUEUE", "")
    if retry not in queues.values():
        raise ConfigError(f"stage {stage}: RETRY_QUEUE {retry!r} is no queue of the template")
    return Observed(
        app=str(config["app_name"]),
        stage=stage,
        namespace=env.get("METRICS_NAMESPACE") or DEFAULT_METRICS_NAMESPACE,
        service=env.get("POWERTOOLS_SERVICE_NAME") or DEFAULT_SERVICE,
        stream=stream,
        consumer=consumer,
        tables=_tables(resources, stage),
        topics=tuple(_named(resources, "AWS::SNS::Topic", "TopicName", stage).values()),
        retry_queue=retry,
        dead_letter_queue=dead[0],
        other_queues=tuple(q for q in queues.values() if q not in (retry, dead[0])),
        functions=_functions(config, stage, functions),
        api_name=api_name,
    )
