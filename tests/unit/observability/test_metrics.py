"""Metrics: every line is valid CloudWatch Embedded Metric Format."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from chalicelib.observability import metrics
from chalicelib.observability.context import bind

Written = Callable[[], list[dict[str, Any]]]


def assert_valid_emf(line: dict[str, Any]) -> None:
    """The EMF rules CloudWatch applies: one directive, its dimensions and values at top level."""
    directive = line["_aws"]["CloudWatchMetrics"][0]
    assert isinstance(line["_aws"]["Timestamp"], int)
    assert isinstance(directive["Namespace"], str) and directive["Namespace"]
    for dimension_set in directive["Dimensions"]:
        for dimension in dimension_set:
            assert isinstance(line[dimension], str)
    for metric in directive["Metrics"]:
        assert isinstance(line[metric["Name"]], list | int | float)


@pytest.mark.parametrize(
    ("emit", "name", "unit", "value"),
    [
        (lambda: metrics.count("PostsPublished"), "PostsPublished", "Count", [1.0]),
        (lambda: metrics.count("FollowersFannedOut", 500), "FollowersFannedOut", "Count", [500.0]),
        (lambda: metrics.count("FeedEntriesWritten", 25), "FeedEntriesWritten", "Count", [25.0]),
        (lambda: metrics.count("BatchSize", 100), "BatchSize", "Count", [100.0]),
        (
            lambda: metrics.record("IteratorAge", 1500, metrics.MetricUnit.Milliseconds),
            "IteratorAge",
            "Milliseconds",
            [1500.0],
        ),
        (
            lambda: metrics.record("PostToFeedLatency", 42.5, "Milliseconds"),
            "PostToFeedLatency",
            "Milliseconds",
            [42.5],
        ),
    ],
)
def test_every_metric_is_one_valid_emf_line(
    written: Written, emit: Callable[[], object], name: str, unit: str, value: list[float]
) -> None:
    # GIVEN the default namespace
    # WHEN the metric is emitted outside any decorated handler
    emit()
    # THEN exactly one valid EMF line is written at once, with the value at top level
    [line] = written()
    assert_valid_emf(line)
    assert line["_aws"]["CloudWatchMetrics"][0] == {
        "Namespace": "YublFanout",
        "Dimensions": [["service"]],
        "Metrics": [{"Name": name, "Unit": unit}],
    }
    assert line[name] == value


def test_failures_are_counted_by_policy(written: Written) -> None:
    # GIVEN a record parked by the retry-queue policy
    # WHEN the failure is counted
    metrics.count("FailuresByPolicy", policy="park")
    # THEN the policy is a dimension of the metric
    [line] = written()
    assert_valid_emf(line)
    assert line["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["policy", "service"]]
    assert (line["policy"], line["FailuresByPolicy"]) == ("park", [1.0])


def test_namespace_comes_from_the_setting(
    written: Written, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN METRICS_NAMESPACE set
    monkeypatch.setenv("METRICS_NAMESPACE", "YublFanoutLocal")
    # WHEN a metric is emitted
    metrics.count("PostsPublished")
    # THEN it lands in that namespace
    assert written()[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "YublFanoutLocal"


def test_metric_lines_carry_ids_as_metadata_not_dimensions(written: Written) -> None:
    # GIVEN a record's ids in force
    # WHEN a metric is emitted
    with bind({"x-correlation-id": "abc", "call-chain-length": "1"}):
        metrics.count("FeedEntriesWritten", 25)
    # THEN the ids are on the line (for tracing) but are not dimensions (no cost)
    [line] = written()
    assert (line["x-correlation-id"], line["function_name"]) == ("abc", "api")
    assert line["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["service"]]


def test_metric_lines_also_reach_the_local_log_file(
    written: Written, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # GIVEN LOCAL_LOG_FILE set
    log_file = tmp_path / "stack.log"
    monkeypatch.setenv("LOCAL_LOG_FILE", str(log_file))
    # WHEN a metric is emitted
    metrics.count("PostsPublished")
    # THEN the same EMF line is in the file
    in_file = [json.loads(text) for text in log_file.read_text().splitlines()]
    assert in_file == written()
    assert_valid_emf(in_file[0])


def test_disabled_metrics_write_nothing(written: Written, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN POWERTOOLS_METRICS_DISABLED
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    # WHEN a metric is emitted
    result = metrics.count("PostsPublished")
    # THEN nothing is written
    assert (result, written()) == (None, [])
