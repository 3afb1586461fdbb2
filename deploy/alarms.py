"""Every alarm of a stage: SLIC Watch's default set for each resource, plus our own.

The thresholds are SLIC Watch's (fourTheorem, ``core/inputs/default-config.ts``), on
one-minute periods; where one bad minute is noise (throttling the SDK retries, a
latency spike of a few requests) an alarm wants 3 bad minutes out of 5 instead.
Ours: the stream reader's iterator age at the stage's threshold, the retry queue's
oldest message, a non-empty dead-letter queue and the freshness objective.

DynamoDB's ``UserErrors`` gets no alarm: it has no table dimension, so it counts the 400
answers of every table of every app and stage in the account and Region; ours show as
function errors and failures by policy already (docs/runbooks.md#dynamodb-user-errors).

Each alarm's properties are the same words in CloudFormation and in PutMetricAlarm.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from deploy.monitoring_settings import PARAMETERS, MonitoringSettings
from deploy.observed import Function, Observed
from deploy.rendering import Param, Render

__all__ = [
    "DYNAMODB_OPERATIONS",
    "SQS_IN_FLIGHT_LIMIT",
    "Alarm",
    "Metric",
    "alarm_properties",
    "stage_alarms",
]

SQS_IN_FLIGHT_LIMIT = 120_000  # a standard queue's in-flight limit; SLIC alarms at 80 %
# DynamoDB reports SystemErrors per table *and operation*: the alarm adds these up
DYNAMODB_OPERATIONS = (
    "GetItem",
    "BatchGetItem",
    "Query",
    "Scan",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "BatchWriteItem",
    "TransactGetItems",
    "TransactWriteItems",
)
GREATER, LESS = "GreaterThanThreshold", "LessThanThreshold"


@dataclass(frozen=True)
class Metric:
    namespace: str
    name: str
    dimensions: tuple[tuple[str, Any], ...]  # (name, str or Function)
    stat: str  # Sum, Average, Maximum or a percentile (p99)
    period: int = 60


@dataclass(frozen=True)
class Alarm:
    name: str  # AlarmName
    logical_id: str  # its resource id in the SAM template
    runbook: str  # the anchor of its section in docs/runbooks.md
    what: str  # the description, before the runbook link
    metric: Metric | None  # None: ``math`` and ``expression`` instead
    threshold: Any  # a number or a Param
    comparison: str = GREATER
    datapoints: Any = 1  # ... bad periods (a number or a Param) ...
    periods: Any = 1  # ... out of these many
    math: tuple[tuple[str, Metric], ...] = field(default=())
    expression: str = ""


def _camel(text: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", text))


def _param(settings: MonitoringSettings, key: str) -> Param:
    return Param(PARAMETERS[key][0], getattr(settings, key))


def _function_alarms(function: Function, settings: MonitoringSettings) -> list[Alarm]:
    dims = (("FunctionName", function),)
    base = function.deployed_name
    lambda_metric = lambda name, stat: Metric("AWS/Lambda", name, dims, stat)  # noqa: E731
    alarms = [
        Alarm(
            f"{base}-errors",
            f"{function.logical_id}ErrorsAlarm",
            "lambda-errors",
            f"Function {function.name} raised errors in the last minute.",
            lambda_metric("Errors", "Sum"),
            0,
        ),
        Alarm(
            f"{base}-throttles",
            f"{function.logical_id}ThrottlesAlarm",
            "lambda-throttles",
            f"Function {function.name}: invocations throttled in 3 of the last 5 minutes.",
            None,
            0,
            datapoints=3,
            periods=5,
            math=(
                ("throttles", lambda_metric("Throttles", "Sum")),
                ("invocations", lambda_metric("Invocations", "Sum")),
            ),
            expression="100 * throttles / (throttles + invocations)",
        ),
        Alarm(
            f"{base}-duration",
            f"{function.logical_id}DurationAlarm",
            "lambda-duration",
            f"Function {function.name} ran for over 95 % of its "
            f"{function.timeout_seconds} s timeout.",
            lambda_metric("Duration", "Maximum"),
            function.timeout_seconds * 1000 * 0.95,
        ),
    ]
    if function.stream_fed:
        alarms.append(
            Alarm(
                f"{base}-iterator-age",
                f"{function.logical_id}IteratorAgeAlarm",
                "stream-iterator-age",
                f"Function {function.name} reads its stream too far behind the newest record.",
                lambda_metric("IteratorAge", "Maximum"),
                _param(settings, "iterator_age_alarm_milliseconds"),
                datapoints=_param(settings, "iterator_age_alarm_datapoints"),
                periods=_param(settings, "iterator_age_alarm_minutes"),
            )
        )
    return alarms


def _stream_alarms(watched: Observed, settings: MonitoringSettings) -> list[Alarm]:
    p = watched.prefix
    dims: tuple[tuple[str, Any], ...] = (("StreamName", watched.stream),)
    kinesis = lambda name, stat, d=dims: Metric("AWS/Kinesis", name, d, stat)  # noqa: E731
    if watched.consumer:  # the GetRecords metrics no longer describe the dispatcher
        reader = (*dims, ("ConsumerName", watched.consumer))
        age = kinesis("SubscribeToShardEvent.MillisBehindLatest", "Maximum", reader)
        success = kinesis("SubscribeToShardEvent.Success", "Average", reader)
    else:
        age = kinesis("GetRecords.IteratorAgeMilliseconds", "Maximum")
        success = kinesis("GetRecords.Success", "Average")
    s = watched.stream
    return [
        Alarm(
            f"{p}-stream-iterator-age",
            "StreamIteratorAgeAlarm",
            "stream-iterator-age",
            f"The oldest unread record of {s} is too old.",
            age,
            _param(settings, "iterator_age_alarm_milliseconds"),
            datapoints=_param(settings, "iterator_age_alarm_datapoints"),
            periods=_param(settings, "iterator_age_alarm_minutes"),
        ),
        Alarm(
            f"{p}-stream-read-throttled",
            "StreamReadThrottledAlarm",
            "stream-throughput-exceeded",
            f"Reads of {s} were throttled in 3 of the last 5 minutes.",
            kinesis("ReadProvisionedThroughputExceeded", "Sum"),
            0,
            datapoints=3,
            periods=5,
        ),
        Alarm(
            f"{p}-stream-write-throttled",
            "StreamWriteThrottledAlarm",
            "stream-throughput-exceeded",
            f"Writes to {s} were throttled in 3 of the last 5 minutes.",
            kinesis("WriteProvisionedThroughputExceeded", "Sum"),
            0,
            datapoints=3,
            periods=5,
        ),
        Alarm(
            f"{p}-stream-reads-failing",
            "StreamReadsFailingAlarm",
            "stream-calls-failing",
            f"Reads of {s} failed in 3 of the last 5 minutes.",
            success,
            1,
            LESS,
            datapoints=3,
            periods=5,
        ),
        *(
            Alarm(
                f"{p}-stream-{call.lower()}-failing",
                f"Stream{call}FailingAlarm",
                "stream-calls-failing",
                f"{call} calls to {s} failed in the last minute.",
                kinesis(f"{call}.Success", "Average"),
                1,
                LESS,
            )
            for call in ("PutRecord", "PutRecords")
        ),
    ]


def _queue_alarms(watched: Observed, settings: MonitoringSettings) -> list[Alarm]:
    p = watched.prefix
    sqs = lambda q, name, stat: Metric("AWS/SQS", name, (("QueueName", q),), stat)  # noqa: E731
    alarms = [
        Alarm(
            f"{p}-queue-{queue}-in-flight",
            f"Queue{_camel(queue)}InFlightAlarm",
            "queue-in-flight",
            f"{queue} holds more than 80 % of the in-flight messages a queue may have.",
            sqs(queue, "ApproximateNumberOfMessagesNotVisible", "Maximum"),
            SQS_IN_FLIGHT_LIMIT * 0.8,
        )
        for queue in watched.queues
    ]
    alarms.append(
        Alarm(
            f"{p}-retry-queue-oldest-message",
            "RetryQueueOldestMessageAlarm",
            "retry-queue-oldest-message",
            f"A parked record has waited in {watched.retry_queue} too long.",
            sqs(watched.retry_queue, "ApproximateAgeOfOldestMessage", "Maximum"),
            _param(settings, "retry_oldest_message_alarm_seconds"),
        )
    )
    alarms.append(
        Alarm(
            f"{p}-dead-letters-not-empty",
            "DeadLettersAlarm",
            "dead-letters",
            f"A record failed for good and waits in {watched.dead_letter_queue}.",
            sqs(watched.dead_letter_queue, "ApproximateNumberOfMessagesVisible", "Maximum"),
            0,
        )
    )
    alarms += [
        Alarm(
            f"{p}-queue-{queue}-oldest-message",
            f"Queue{_camel(queue)}OldestMessageAlarm",
            "queue-oldest-message",
            f"The oldest message of {queue} has waited more than an hour.",
            sqs(queue, "ApproximateAgeOfOldestMessage", "Maximum"),
            3600,
        )
        for queue in watched.other_queues
    ]
    return alarms


def _topic_alarms(watched: Observed) -> list[Alarm]:
    p = watched.prefix
    alarms = []
    for topic in watched.topics:
        dims = (("TopicName", topic),)
        alarms += [
            Alarm(
                f"{p}-topic-{topic}-failed",
                f"Topic{_camel(topic)}FailedAlarm",
                "topic-notifications-failed",
                f"{topic} failed to deliver more than one notification in the last minute.",
                Metric("AWS/SNS", "NumberOfNotificationsFailed", dims, "Sum"),
                1,
            ),
            Alarm(
                f"{p}-topic-{topic}-invalid-attributes",
                f"Topic{_camel(topic)}InvalidAttributesAlarm",
                "topic-invalid-attributes",
                f"{topic} dropped more than one message for attributes its filter policies "
                "cannot read, in the last minute.",
                Metric(
                    "AWS/SNS", "NumberOfNotificationsFilteredOut-InvalidAttributes", dims, "Sum"
                ),
                1,
            ),
        ]
    return alarms


def _throttle_alarms(
    p: str, label: str, dims: tuple[tuple[str, Any], ...], what: str
) -> list[Alarm]:
    return [
        Alarm(
            f"{p}-{label}-{kind.lower()}-throttles",
            f"{_camel(label)}{kind}ThrottlesAlarm",
            "table-throttles",
            f"{what}: more than 10 {kind.lower()}s a minute throttled, in 3 of the last 5 minutes.",
            Metric("AWS/DynamoDB", f"{kind}ThrottleEvents", dims, "Sum"),
            10,
            datapoints=3,
            periods=5,
        )
        for kind in ("Read", "Write")
    ]


def _table_alarms(watched: Observed) -> list[Alarm]:
    p = watched.prefix
    alarms = []
    for table in watched.tables:
        dims = (("TableName", table.name),)
        alarms += _throttle_alarms(p, f"table-{table.name}", dims, f"Table {table.name}")
        for index in table.indexes:
            alarms += _throttle_alarms(
                p,
                f"table-{table.name}-index-{index}",
                (*dims, ("GlobalSecondaryIndexName", index)),
                f"Index {index} of table {table.name}",
            )
        alarms.append(
            Alarm(
                f"{p}-table-{table.name}-system-errors",
                f"Table{_camel(table.name)}SystemErrorsAlarm",
                "table-system-errors",
                f"DynamoDB answered requests to {table.name} with a server error.",
                None,
                0,
                math=tuple(
                    (
                        operation[:1].lower() + operation[1:],
                        Metric(
                            "AWS/DynamoDB",
                            "SystemErrors",
                            (*dims, ("Operation", operation)),
                            "Sum",
                        ),
                    )
                    for operation in DYNAMODB_OPERATIONS
                ),
                expression="SUM(METRICS())",
            )
        )
    return alarms


def _api_alarms(watched: Observed) -> list[Alarm]:
    if watched.api_name is None:
        return []
    p = watched.prefix
    api = lambda name, stat: Metric(  # noqa: E731
        "AWS/ApiGateway", name, (("ApiName", watched.api_name),), stat
    )
    return [
        Alarm(
            f"{p}-api-5xx",
            "Api5xxAlarm",
            "api-5xx",
            "The API answered with a 5xx status in the last minute.",
            api("5XXError", "Average"),
            0,
        ),
        Alarm(
            f"{p}-api-4xx",
            "Api4xxAlarm",
            "api-4xx",
            "More than 5 % of the API's answers were 4xx, in 3 of the last 5 minutes.",
            api("4XXError", "Average"),
            0.05,
            datapoints=3,
            periods=5,
        ),
        Alarm(
            f"{p}-api-latency",
            "ApiLatencyAlarm",
            "api-latency",
            "The API's p99 latency was over 5 s, in 3 of the last 5 minutes.",
            api("Latency", "p99"),
            5000,
            datapoints=3,
            periods=5,
        ),
    ]


def _freshness_alarm(watched: Observed, settings: MonitoringSettings) -> Alarm:
    latency = Metric(
        watched.namespace,
        "PostToFeedLatency",
        (("service", watched.service),),
        "p99",
        period=300,
    )
    return Alarm(
        f"{watched.prefix}-freshness",
        "FreshnessAlarm",
        "freshness",
        "Posts reach their followers' feeds later than the freshness objective "
        "(p99 over 5 minutes, from the record's arrival on the stream).",
        None,
        _param(settings, "freshness_slo_seconds"),
        math=(("latency", latency),),
        expression="latency / 1000",
    )


def stage_alarms(watched: Observed, settings: MonitoringSettings) -> list[Alarm]:
    """Every alarm of the stage, in a stable order."""
    alarms: list[Alarm] = []
    for function in watched.functions:
        alarms += _function_alarms(function, settings)
    alarms += _api_alarms(watched)
    alarms += _stream_alarms(watched, settings)
    alarms += _queue_alarms(watched, settings)
    alarms += _topic_alarms(watched)
    alarms += _table_alarms(watched)
    alarms.append(_freshness_alarm(watched, settings))
    return alarms


def _dimensions(metric: Metric, render: Render) -> list[dict[str, Any]]:
    return [
        {"Name": name, "Value": render.function(value) if isinstance(value, Function) else value}
        for name, value in metric.dimensions
    ]


def _stat(metric: Metric) -> dict[str, Any]:
    is_percentile = re.fullmatch(r"p\d+(\.\d+)?", metric.stat)
    return {"ExtendedStatistic" if is_percentile else "Statistic": metric.stat}


def alarm_properties(alarm: Alarm, render: Render, actions: list[Any]) -> dict[str, Any]:
    """The alarm as CloudFormation's properties, which are PutMetricAlarm's arguments."""
    properties: dict[str, Any] = {
        "AlarmName": alarm.name,
        "AlarmDescription": render.described(alarm.what, alarm.runbook),
        "ComparisonOperator": alarm.comparison,
        "Threshold": render.value(alarm.threshold),
        "EvaluationPeriods": render.value(alarm.periods),
        "DatapointsToAlarm": render.value(alarm.datapoints),
        "TreatMissingData": "notBreaching",
        "AlarmActions": actions,
    }
    if alarm.metric is not None:
        properties.update(
            {
                "Namespace": alarm.metric.namespace,
                "MetricName": alarm.metric.name,
                "Dimensions": _dimensions(alarm.metric, render),
                "Period": alarm.metric.period,
                **_stat(alarm.metric),
            }
        )
        return properties
    properties["Metrics"] = [
        {
            "Id": metric_id,
            "MetricStat": {
                "Metric": {
                    "Namespace": metric.namespace,
                    "MetricName": metric.name,
                    "Dimensions": _dimensions(metric, render),
                },
                "Period": metric.period,
                "Stat": metric.stat,
            },
            "ReturnData": False,
        }
        for metric_id, metric in alarm.math
    ] + [{"Id": "result", "Expression": alarm.expression, "ReturnData": True}]
    return properties
