"""Settings Lambda would refuse are refused at start, with a message naming key and range."""

from __future__ import annotations

import pytest

from local_runtime import ConfigError, LocalRuntime
from tests.conformance.projects import kinesis_project, unique, write_project

pytestmark = pytest.mark.emulator

SNS_APP = """
import os
from chalice import Chalice

app = Chalice(app_name="conformance")


@app.on_sns_message(topic=os.environ["TOPIC"])
def notified(event):
    pass
"""


KINESIS_REFUSALS = [
    (
        {"MaximumRetryAttempts": 10001},
        "consume: MaximumRetryAttempts must be -1 or 0..10000, got 10001",
    ),
    (
        {"MaximumRetryAttempts": -2},
        "consume: MaximumRetryAttempts must be -1 or 0..10000, got -2",
    ),
    (
        {"MaximumRecordAgeInSeconds": 59},
        "consume: MaximumRecordAgeInSeconds must be -1 or 60..604800, got 59",
    ),
    (
        {"ParallelizationFactor": 11},
        "consume: ParallelizationFactor must be 1..10, got 11",
    ),
    (
        {"TumblingWindowInSeconds": 901},
        "consume: TumblingWindowInSeconds must be 0..900, got 901",
    ),
    (
        {"BisectBatchOnFunctionError": "yes"},
        "consume: BisectBatchOnFunctionError must be true or false, got 'yes'",
    ),
    (
        {"FunctionResponseTypes": ["Other"]},
        "consume: FunctionResponseTypes must be [] or [\"ReportBatchItemFailures\"], got ['Other']",
    ),
    (
        {"BatchSize": 5},
        "consume: event_source.BatchSize is set by the Chalice decorator; "
        "set it there so there is one source of truth",
    ),
    (
        {"Color": "red"},
        "consume: event_source.Color is not a setting for Kinesis mappings (allowed: "
        "BisectBatchOnFunctionError, DestinationConfig, Enabled, FilterCriteria, "
        "FunctionResponseTypes, MaximumRecordAgeInSeconds, MaximumRetryAttempts, "
        "ParallelizationFactor, StartingPositionTimestamp, TumblingWindowInSeconds)",
    ),
    (
        {"FilterCriteria": {"Filters": [{"Pattern": "not json"}]}},
        "consume: filter Pattern is not JSON: Expecting value: line 1 column 1 (char 0)",
    ),
    (
        {"DestinationConfig": {"OnFailure": {"Destination": "no-such-queue"}}},
        "consume: on-failure destination no-such-queue does not exist",
    ),
    (
        {"DestinationConfig": {"OnFailure": {"Destination": "arn:aws:s3:::bucket"}}},
        "consume: DestinationConfig.OnFailure.Destination must be an SQS queue or SNS topic, "
        "got arn:aws:s3:::bucket",
    ),
]


@pytest.mark.parametrize(("event_source", "message"), KINESIS_REFUSALS)
def test_a_kinesis_setting_out_of_range_is_refused(tmp_path, event_source, message):
    runtime = LocalRuntime.from_project(
        kinesis_project(tmp_path, unique("unused"), event_source=event_source)
    )
    with pytest.raises(ConfigError) as raised:
        runtime.start()
    assert str(raised.value) == message


def test_at_timestamp_needs_a_timestamp(tmp_path):
    runtime = LocalRuntime.from_project(
        kinesis_project(tmp_path, unique("unused"), start="AT_TIMESTAMP")
    )
    with pytest.raises(ConfigError) as raised:
        runtime.start()
    assert str(raised.value) == (
        "consume: AT_TIMESTAMP needs event_source.StartingPositionTimestamp"
    )


SNS_REFUSALS = [
    ({"MaximumRetryAttempts": 3}, "notified: MaximumRetryAttempts must be 0..2, got 3"),
    (
        {"MaximumEventAgeInSeconds": 59},
        "notified: MaximumEventAgeInSeconds must be 60..21600, got 59",
    ),
    (
        {"BisectBatchOnFunctionError": True},
        "notified: event_source.BisectBatchOnFunctionError is not a setting for SNS "
        "(asynchronous invocation) (allowed: DestinationConfig, FilterPolicy, "
        "FilterPolicyScope, MaximumEventAgeInSeconds, MaximumRetryAttempts)",
    ),
]


def _refusal(tmp_path, function: dict) -> str:
    """The ConfigError of starting the SNS app with ``function`` as notified's settings."""
    app_dir = write_project(
        tmp_path, SNS_APP, environment={"TOPIC": "unused"}, functions={"notified": function}
    )
    with pytest.raises(ConfigError) as raised:
        LocalRuntime.from_project(app_dir).start()
    return str(raised.value)


@pytest.mark.parametrize(("event_source", "message"), SNS_REFUSALS)
def test_an_sns_setting_out_of_range_is_refused(tmp_path, event_source, message):
    assert _refusal(tmp_path, {"event_source": event_source}) == message


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "notified: reserved_concurrency must be 1..1000, got 0"),
        (1001, "notified: reserved_concurrency must be 1..1000, got 1001"),
        ("2", "notified: reserved_concurrency must be an integer, got '2'"),
    ],
)
def test_a_reserved_concurrency_the_runtime_cannot_honour_is_refused(tmp_path, value, message):
    assert _refusal(tmp_path, {"reserved_concurrency": value}) == message


def test_a_yield_rule_naming_no_other_sns_handler_is_refused(tmp_path):
    rule = {"yield_to": ["archive"], "concurrency_while_yielding": 1}
    assert _refusal(tmp_path, {"local_runtime": rule}) == (
        "notified: local_runtime.yield_to names 'archive', which is not another SNS "
        "handler of the app"
    )


def test_settings_for_a_function_that_is_not_an_event_handler_are_refused(tmp_path):
    app_dir = write_project(
        tmp_path,
        SNS_APP,
        environment={"TOPIC": "unused"},
        functions={"api_handler": {"event_source": {"Enabled": False}}},
    )
    with pytest.raises(ConfigError) as raised:
        LocalRuntime.from_project(app_dir).start()
    assert str(raised.value) == (
        "api_handler: event_source is set but the app has no Kinesis, SNS or SQS handler "
        "of that name"
    )


def test_a_missing_stream_is_a_clear_error_at_start(tmp_path):
    missing = unique("no-such-stream")
    runtime = LocalRuntime.from_project(kinesis_project(tmp_path, missing))
    with pytest.raises(ConfigError) as raised:
        runtime.start()
    assert str(raised.value) == (
        f"consume: Kinesis stream {missing} cannot be read (ResourceNotFoundException)"
    )


SQS_APP = """
import os
from chalice import Chalice

app = Chalice(app_name="conformance")


@app.on_sqs_message(queue=os.environ["QUEUE"])
def queued(event):
    pass
"""


def test_a_missing_queue_is_a_clear_error_at_start(tmp_path):
    missing = unique("no-such-queue")
    app_dir = write_project(tmp_path, SQS_APP, environment={"QUEUE": missing})
    with pytest.raises(ConfigError) as raised:
        LocalRuntime.from_project(app_dir).start()
    assert str(raised.value) == (
        f"queued: SQS queue {missing} cannot be read (AWS.SimpleQueueService.NonExistentQueue)"
    )
