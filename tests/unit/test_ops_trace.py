"""``make trace STAGE=<stage>``: the saved query's log groups, and Logs Insights' polling,
against botocore's Stubber (moto has no saved queries, and answers a query at once)."""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import Stubber

from deploy.log_queries import correlation_query
from ops.trace import QueryFailed, run_query, saved_log_groups, trace_on_aws

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
GROUPS = ["/aws/lambda/yubl-fanout-dev", "/aws/lambda/yubl-fanout-dev-add_to_feed"]


@pytest.fixture
def logs():
    client = boto3.client(
        "logs",
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def _definition(name: str, groups: list[str]) -> dict:
    return {"queryDefinitionId": name, "name": name, "queryString": "x", "logGroupNames": groups}


def test_the_log_groups_are_those_of_the_stages_saved_correlation_query(logs):
    client, stubber = logs
    stubber.add_response(
        "describe_query_definitions",
        {
            "queryDefinitions": [
                _definition("yubl-fanout-dev/correlation-id-old", ["/aws/lambda/gone"]),
                _definition("yubl-fanout-dev/correlation-id", GROUPS),
            ]
        },
        {"queryDefinitionNamePrefix": "yubl-fanout-dev/correlation-id"},
    )
    assert saved_log_groups(client, "yubl-fanout", "dev") == GROUPS


def test_a_stage_without_the_saved_query_says_how_to_get_one(logs):
    client, stubber = logs
    stubber.add_response("describe_query_definitions", {"queryDefinitions": []})
    with pytest.raises(QueryFailed) as failed:
        saved_log_groups(client, "yubl-fanout", "dev")
    assert str(failed.value) == (
        "stage dev has no saved query yubl-fanout-dev/correlation-id: deploy the stage "
        "(make deploy STAGE=dev) or name the log groups with --log-group"
    )


def _line(at: str, function: str, message: str, ids: str) -> str:
    return (
        f'{{"level":"INFO","timestamp":"{at}","function_name":"{function}",'
        f'"message":"{message}","x-correlation-id":"{ids}"}}'
    )


def test_the_query_is_polled_until_complete_and_only_exact_ids_are_kept(logs):
    client, stubber = logs
    later = _line("2026-11-23T11:00:02.000Z", "add_to_feed", "feed entries written", "req-1")
    earlier = _line("2026-11-23T11:00:01.000Z", "api_handler", "http request handled", "req-1")
    longer_id = _line("2026-11-23T11:00:03.000Z", "api_handler", "other request", "req-12")
    stubber.add_response(
        "start_query",
        {"queryId": "q-1"},
        {
            "logGroupNames": GROUPS,
            "startTime": int(NOW.timestamp()) - 2 * 3600,
            "endTime": int(NOW.timestamp()),
            "queryString": correlation_query("req-1"),
        },
    )
    stubber.add_response("get_query_results", {"status": "Running", "results": []})
    stubber.add_response(
        "get_query_results",
        {
            "status": "Complete",
            "results": [
                [{"field": "@message", "value": text}] for text in (later, earlier, longer_id)
            ],
        },
        {"queryId": "q-1"},
    )
    slept: list[float] = []
    lines = trace_on_aws(client, "req-1", GROUPS, 2, NOW, slept.append)
    assert [line.fields["message"] for line in lines] == [
        "http request handled",
        "feed entries written",
    ]
    assert slept == [1.0]  # one wait, between the running and the complete answer


def test_a_failed_query_is_an_error_naming_it(logs):
    client, stubber = logs
    stubber.add_response("start_query", {"queryId": "q-2"})
    stubber.add_response("get_query_results", {"status": "Failed", "results": []})
    with pytest.raises(QueryFailed, match="Logs Insights query q-2 ended Failed"):
        run_query(client, GROUPS, "fields @message", NOW, NOW, lambda _: None)


def test_a_query_still_running_at_the_deadline_is_stopped(logs):
    client, stubber = logs
    stubber.add_response("start_query", {"queryId": "q-3"})
    stubber.add_response("get_query_results", {"status": "Running", "results": []})
    stubber.add_response("stop_query", {"success": True}, {"queryId": "q-3"})
    ticks = iter([0.0, 11.0])  # the deadline is set at 0, the first answer comes at 11
    with pytest.raises(QueryFailed, match="still Running after 10s"):
        run_query(
            client, GROUPS, "fields @message", NOW, NOW, lambda _: None, 10.0, lambda: next(ticks)
        )


def test_the_correlation_query_quotes_the_id():
    assert correlation_query('a"b\\c') == (
        "fields @timestamp, @message, @log\n"
        '| filter @message like "a\\"b\\\\c"\n'
        "| sort @timestamp asc\n"
        "| limit 10000"
    )
