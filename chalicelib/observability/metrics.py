"""Custom metrics as CloudWatch Embedded Metric Format lines, one line per call.

CloudWatch Logs turns each EMF line of a function's output into a metric, with no
API call and no batching to flush. One line per call (rather than Powertools'
``@log_metrics`` flush at the end of a handler) works anywhere -- inside a batch
loop, outside any decorated handler, in the local runtime -- and each line carries,
as EMF metadata (searchable in the logs, no cost as dimensions), the function name
and the correlation ids in force, so ``devstack.trace`` shows metrics in a trace.

The line is built by Powertools' EMF provider (the one behind ``Metrics`` and
``single_metric``) and written through ``sink.write_line``, so it also reaches
``LOCAL_LOG_FILE`` when that is set.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.functions import is_metrics_disabled
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import (
    AmazonCloudWatchEMFProvider,
)

from chalicelib.observability.logging import line_context
from chalicelib.observability.settings import ObservabilitySettings
from chalicelib.observability.sink import write_line

__all__ = [
    "BATCH_SIZE",
    "FAILURES_BY_POLICY",
    "FEED_ENTRIES_WRITTEN",
    "FOLLOWERS_FANNED_OUT",
    "ITERATOR_AGE",
    "POSTS_PUBLISHED",
    "POST_TO_FEED_LATENCY",
    "SDK_RETRIES",
    "MetricName",
    "MetricUnit",
    "count",
    "record",
]

MetricName = Literal[
    "PostsPublished",
    "FollowersFannedOut",
    "FeedEntriesWritten",
    "BatchSize",
    "FailuresByPolicy",
    "IteratorAge",
    "PostToFeedLatency",
    "SdkRetries",
]
"""The catalogue: a typo in a metric name is a type error, not a new metric."""

POSTS_PUBLISHED: MetricName = "PostsPublished"
FOLLOWERS_FANNED_OUT: MetricName = "FollowersFannedOut"
FEED_ENTRIES_WRITTEN: MetricName = "FeedEntriesWritten"
BATCH_SIZE: MetricName = "BatchSize"
FAILURES_BY_POLICY: MetricName = "FailuresByPolicy"  # with dimension policy=...
ITERATOR_AGE: MetricName = "IteratorAge"  # milliseconds
POST_TO_FEED_LATENCY: MetricName = "PostToFeedLatency"  # ms from the arrival on the stream
SDK_RETRIES: MetricName = "SdkRetries"  # with dimension aws_service=...; botocore's retries


def record(
    name: MetricName, value: float, unit: MetricUnit | str, **dimensions: str
) -> dict[str, Any] | None:
    """Emit one EMF line now; returns what was written (None when metrics are disabled).

    Dimensions are ``service`` plus ``dimensions``; keep them low-cardinality (a
    policy name, never an id). POWERTOOLS_METRICS_DISABLED turns emission off.
    """
    if is_metrics_disabled():
        return None
    settings = ObservabilitySettings.from_environ()
    metric = AmazonCloudWatchEMFProvider(
        namespace=settings.metrics_namespace, service=settings.service
    )
    metric.add_metric(name=name, unit=unit, value=value)
    for dimension, dimension_value in dimensions.items():
        metric.add_dimension(name=dimension, value=dimension_value)
    for key, metadata in line_context().items():
        if key not in dimensions and key != "service":
            metric.add_metadata(key=key, value=metadata)
    emf: dict[str, Any] = dict(metric.serialize_metric_set())
    write_line(json.dumps(emf, separators=(",", ":"), default=str))
    return emf


def count(name: MetricName, value: float = 1, **dimensions: str) -> dict[str, Any] | None:
    """Emit one EMF line with unit Count."""
    return record(name, value, MetricUnit.Count, **dimensions)
