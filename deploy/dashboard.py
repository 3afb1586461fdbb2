"""The stage's CloudWatch dashboard: one screen for the functions, the stream, the topics,
the queues, the tables and indexes, the API, and our own metrics.

Widgets follow SLIC Watch's dashboard (per resource, the same metrics its alarms
watch) plus what only we know: post-to-feed latency against the freshness objective,
entries written, failures by policy, the SDK's retries and dead letters. Our metrics
carry extra dimensions (policy, outcome, service), so those widgets SEARCH for every
combination instead of naming each.
"""

from __future__ import annotations

import json
from typing import Any

from deploy.monitoring_settings import PARAMETERS, MonitoringSettings
from deploy.observed import Function, Observed
from deploy.rendering import Param, Render

__all__ = ["WIDTH", "dashboard_body", "dashboard_name"]

WIDTH, HEIGHT, COLUMNS = 8, 6, 3  # three widgets a row, SLIC Watch's size
_NUMBER = "__number:{}__"  # a placeholder for a number that is a parameter of the template


def dashboard_name(watched: Observed) -> str:
    return watched.prefix


def _row(namespace: str, metric: str, dims: list[tuple[str, str]], **options: Any) -> list[Any]:
    row: list[Any] = [namespace, metric]
    for name, value in dims:
        row += [name, value]
    return [*row, options] if options else row


def _graph(title: str, metrics: list[Any], **properties: Any) -> dict[str, Any]:
    return {
        "type": "metric",
        "properties": {"title": title, "view": "timeSeries", "metrics": metrics, **properties},
    }


def _search(namespace: str, dimensions: list[str], metric: str, stat: str, **where: str) -> str:
    schema = ",".join([namespace, *sorted(dimensions)])
    terms = " ".join([f'MetricName="{metric}"', *(f'{k}="{v}"' for k, v in where.items())])
    return f"SEARCH('{{{schema}}} {terms}', '{stat}', 60)"


def _lambda(watched: Observed, render: Render) -> list[dict[str, Any]]:
    def each(metric: str, stat: str, functions: tuple[Function, ...]) -> list[Any]:
        return [
            _row(
                "AWS/Lambda",
                metric,
                [("FunctionName", render.function_text(f))],
                stat=stat,
                label=f.name,
            )
            for f in functions
        ]

    every = watched.functions
    readers = tuple(f for f in every if f.stream_fed)
    return [
        _graph("Lambda errors", each("Errors", "Sum", every)),
        _graph("Lambda throttles", each("Throttles", "Sum", every)),
        _graph("Lambda duration p95 (ms)", each("Duration", "p95", every)),
        _graph("Lambda duration maximum (ms)", each("Duration", "Maximum", every)),
        _graph("Lambda concurrent executions", each("ConcurrentExecutions", "Maximum", every)),
        _graph("Lambda iterator age, stream readers (ms)", each("IteratorAge", "Maximum", readers)),
    ]


def _stream(watched: Observed, settings: MonitoringSettings) -> list[dict[str, Any]]:
    stream = [("StreamName", watched.stream)]
    if watched.consumer:  # GetRecords describes other readers, not the dispatcher
        reader = [*stream, ("ConsumerName", watched.consumer)]
        age, got = "SubscribeToShardEvent.MillisBehindLatest", "SubscribeToShardEvent.Success"
    else:
        reader, age, got = stream, "GetRecords.IteratorAgeMilliseconds", "GetRecords.Success"
    threshold = PARAMETERS["iterator_age_alarm_milliseconds"][0]
    k = "AWS/Kinesis"
    return [
        _graph(
            "Stream iterator age maximum (ms)",
            [_row(k, age, reader, stat="Maximum")],
            annotations={"horizontal": [{"label": "alarm", "value": _NUMBER.format(threshold)}]},
        ),
        _graph(
            "Stream calls succeeding (1 = all)",
            [
                _row(k, "PutRecord.Success", stream, stat="Average"),
                _row(k, "PutRecords.Success", stream, stat="Average"),
                _row(k, got, reader, stat="Average"),
            ],
        ),
        _graph(
            "Stream throughput exceeded",
            [
                _row(k, "ReadProvisionedThroughputExceeded", stream, stat="Sum"),
                _row(k, "WriteProvisionedThroughputExceeded", stream, stat="Sum"),
            ],
        ),
        _graph("Stream incoming records", [_row(k, "IncomingRecords", stream, stat="Sum")]),
    ]


def _topics(watched: Observed) -> list[dict[str, Any]]:
    return [
        _graph(
            f"Topic {topic}",
            [
                _row("AWS/SNS", metric, [("TopicName", topic)], stat="Sum", label=label)
                for metric, label in (
                    ("NumberOfMessagesPublished", "published"),
                    ("NumberOfNotificationsDelivered", "delivered"),
                    ("NumberOfNotificationsFailed", "failed"),
                )
            ],
        )
        for topic in watched.topics
    ]


def _queues(watched: Observed) -> list[dict[str, Any]]:
    return [
        _graph(
            f"Queue {queue}",
            [
                _row(
                    "AWS/SQS",
                    "ApproximateNumberOfMessagesVisible",
                    [("QueueName", queue)],
                    stat="Maximum",
                    label="visible",
                ),
                _row(
                    "AWS/SQS",
                    "ApproximateNumberOfMessagesNotVisible",
                    [("QueueName", queue)],
                    stat="Maximum",
                    label="in flight",
                ),
                _row(
                    "AWS/SQS",
                    "ApproximateAgeOfOldestMessage",
                    [("QueueName", queue)],
                    stat="Maximum",
                    label="oldest (s)",
                    yAxis="right",
                ),
            ],
        )
        for queue in watched.queues
    ]


def _capacity_rows(dims: list[tuple[str, str]]) -> list[Any]:
    return [
        _row("AWS/DynamoDB", metric, dims, stat="Sum", label=label)
        for metric, label in (
            ("ConsumedReadCapacityUnits", "read units"),
            ("ConsumedWriteCapacityUnits", "write units"),
            ("ReadThrottleEvents", "read throttles"),
            ("WriteThrottleEvents", "write throttles"),
        )
    ]


def _tables(watched: Observed) -> list[dict[str, Any]]:
    widgets = []
    for table in watched.tables:
        dims = [("TableName", table.name)]
        errors = _search(
            "AWS/DynamoDB", ["Operation", "TableName"], "SystemErrors", "Sum", TableName=table.name
        )
        widgets.append(
            _graph(
                f"Table {table.name}",
                [*_capacity_rows(dims), [{"expression": errors, "label": "system errors"}]],
            )
        )
        for index in table.indexes:
            index_dims = [*dims, ("GlobalSecondaryIndexName", index)]
            widgets.append(_graph(f"Index {table.name}/{index}", _capacity_rows(index_dims)))
    return widgets


def _api(watched: Observed) -> list[dict[str, Any]]:
    if watched.api_name is None:
        return []
    api = [("ApiName", watched.api_name)]
    g = "AWS/ApiGateway"
    return [
        _graph(
            "API requests",
            [
                _row(g, "Count", api, stat="Sum", label="count"),
                _row(g, "4XXError", api, stat="Sum", label="4xx"),
                _row(g, "5XXError", api, stat="Sum", label="5xx"),
            ],
        ),
        _graph(
            "API latency (ms)",
            [
                _row(g, "Latency", api, stat="p50", label="p50"),
                _row(g, "Latency", api, stat="p99", label="p99"),
            ],
        ),
    ]


def _ours(watched: Observed) -> list[dict[str, Any]]:
    ns, service = watched.namespace, [("service", watched.service)]
    slo = PARAMETERS["freshness_slo_seconds"][0]
    policy_dims = ["function", "outcome", "policy", "service"]
    return [
        _graph(
            "Post to feed latency (s), from arrival on the stream",
            [
                _row(ns, "PostToFeedLatency", service, stat="p50", id="p50", visible=False),
                _row(ns, "PostToFeedLatency", service, stat="p99", id="p99", visible=False),
                [{"expression": "p50 / 1000", "label": "p50", "id": "p50s"}],
                [{"expression": "p99 / 1000", "label": "p99", "id": "p99s"}],
            ],
            annotations={"horizontal": [{"label": "objective", "value": _NUMBER.format(slo)}]},
        ),
        _graph(
            "Feed entries written",
            [_row(ns, "FeedEntriesWritten", service, stat="Sum", label="entries")],
        ),
        _graph(
            "Failures by policy",
            [[{"expression": _search(ns, policy_dims, "FailuresByPolicy", "Sum"), "id": "f"}]],
        ),
        _graph(
            "SDK retries by service",
            [
                [
                    {
                        "expression": _search(ns, ["aws_service", "service"], "SdkRetries", "Sum"),
                        "id": "r",
                    }
                ]
            ],
        ),
        _graph(
            "Dead letters",
            [
                [
                    {
                        "expression": _search(
                            ns, policy_dims, "FailuresByPolicy", "Sum", outcome="dead_lettered"
                        ),
                        "id": "d",
                    }
                ],
                _row(
                    "AWS/SQS",
                    "ApproximateNumberOfMessagesVisible",
                    [("QueueName", watched.dead_letter_queue)],
                    stat="Maximum",
                    label="waiting in the dead-letter queue",
                ),
            ],
        ),
    ]


def _laid_out(widgets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for position, widget in enumerate(widgets):
        widget.update(x=(position % COLUMNS) * WIDTH, y=(position // COLUMNS) * HEIGHT, width=WIDTH)
        widget["height"] = HEIGHT
    return widgets


def dashboard_body(watched: Observed, settings: MonitoringSettings, render: Render) -> str:
    """The DashboardBody: JSON, with ``render``'s names and numbers in it."""
    runbooks = render.value_text(Param("RunbookBaseUrl", settings.runbook_base_url))
    intro = {
        "type": "text",
        "properties": {
            "markdown": f"## {watched.prefix}\nEach alarm's description links to its "
            f"section of the [runbooks]({runbooks})."
        },
    }
    widgets = [
        intro,
        *_ours(watched),
        *_lambda(watched, render),
        *_stream(watched, settings),
        *_api(watched),
        *_queues(watched),
        *_topics(watched),
        *_tables(watched),
    ]
    for widget in widgets:
        if widget["type"] == "metric":
            widget["properties"].setdefault("region", render.region)
            widget["properties"].setdefault("period", 60)
    body = json.dumps({"start": "-PT3H", "widgets": _laid_out(widgets)}, separators=(",", ":"))
    for key, (parameter, _type, _what) in PARAMETERS.items():
        placeholder = json.dumps(_NUMBER.format(parameter))
        body = body.replace(
            placeholder, render.value_text(Param(parameter, getattr(settings, key)))
        )
    return body
