"""Logs: JSON lines that carry the function's name and the ids of the work in hand."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from chalicelib.observability.context import InvocationScope, bind, bind_invocation, current_ids
from chalicelib.observability.logging import logger
from chalicelib.streams.records import from_sns
from tests.aws_samples import sns_record

Written = Callable[[], list[dict[str, Any]]]


def test_each_record_of_a_batch_logs_under_its_own_id(written: Written) -> None:
    # GIVEN two records of one batch with different ids
    batch = [
        ({"x-correlation-id": "first", "call-chain-length": "1"}, "y-1"),
        ({"x-correlation-id": "second", "call-chain-length": "1"}, "y-2"),
    ]
    # WHEN each is worked on with its own ids bound
    for ids, yubl_id in batch:
        with bind(ids):
            logger.info("fanning out", yubl_id=yubl_id)
            logger.info("fanned out", yubl_id=yubl_id)
    logger.info("batch done")
    # THEN every line carries the id of the record it was written for, and none after
    assert [(line["message"], line.get("x-correlation-id")) for line in written()] == [
        ("fanning out", "first"),
        ("fanned out", "first"),
        ("fanning out", "second"),
        ("fanned out", "second"),
        ("batch done", None),
    ]


def test_a_line_carries_every_correlation_id_in_force(written: Written) -> None:
    # GIVEN several ids in force
    ids = {
        "x-correlation-id": "abc",
        "x-correlation-author-id": "a-1",
        "call-chain-length": "2",
        "debug-log-enabled": "false",
    }
    # WHEN a line is written
    with bind(ids):
        logger.info("hello")
    # THEN it is one JSON object with the standard keys and all the ids
    [line] = written()
    assert {key: line[key] for key in ("level", "message", "function_name", *ids)} == {
        "level": "INFO",
        "message": "hello",
        "function_name": "api",
        **ids,
    }
    assert line["timestamp"].endswith("+00:00")
    assert line["service"]


def test_bind_restores_the_ids_that_were_in_force() -> None:
    # GIVEN ids in force for a batch
    with bind({"x-correlation-id": "outer"}):
        # WHEN a nested block binds a record's ids and ends
        with bind({"x-correlation-id": "inner"}):
            assert current_ids() == {"x-correlation-id": "inner"}
        # THEN the outer ids are in force again
        assert current_ids() == {"x-correlation-id": "outer"}
    assert current_ids() == {}


def test_a_sampled_request_logs_at_debug_downstream(written: Written) -> None:
    # GIVEN an SNS record whose ids were sampled for debug upstream
    ids = from_sns(
        sns_record(
            {
                "x-correlation-id": {"Type": "String", "Value": "sampled"},
                "debug-log-enabled": {"Type": "String", "Value": "true"},
            }
        )
    ).correlation
    # WHEN the handler writes a debug line while the ids are bound, and after
    with bind(ids):
        logger.debug("group written")
    logger.debug("not sampled")
    # THEN only the sampled request's debug line is written
    assert [(line["level"], line["message"]) for line in written()] == [("DEBUG", "group written")]


def test_an_unsampled_request_does_not_log_at_debug(written: Written) -> None:
    # GIVEN ids with debug-log-enabled false
    # WHEN a debug and an info line are written
    with bind({"x-correlation-id": "plain", "debug-log-enabled": "false"}):
        logger.debug("detail")
        logger.info("summary")
    # THEN only the info line is written
    assert [line["message"] for line in written()] == ["summary"]


def test_sampling_on_one_thread_does_not_leak_to_another(written: Written) -> None:
    # GIVEN a thread working on a sampled record, paused inside its bind block
    inside, release = threading.Event(), threading.Event()

    def sampled_worker() -> None:
        with bind({"x-correlation-id": "sampled", "debug-log-enabled": "true"}):
            inside.set()
            release.wait(5)

    worker = threading.Thread(target=sampled_worker)
    worker.start()
    inside.wait(5)
    # WHEN this thread writes a debug line for an unsampled record meanwhile
    with bind({"x-correlation-id": "plain", "debug-log-enabled": "false"}):
        logger.debug("should not appear")
    release.set()
    worker.join(5)
    # THEN nothing is written
    assert written() == []


def test_function_name_defaults_to_api(written: Written) -> None:
    # GIVEN no Lambda context and no AWS_LAMBDA_FUNCTION_NAME (chalice local)
    # WHEN a line is written
    logger.info("x")
    # THEN the function is the API
    assert written()[0]["function_name"] == "api"


def test_function_name_comes_from_the_environment(
    written: Written, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN the Lambda runtime's AWS_LAMBDA_FUNCTION_NAME
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "distribute_yubl")
    # WHEN a line is written outside any invocation
    logger.info("x")
    # THEN it names that function
    assert written()[0]["function_name"] == "distribute_yubl"


def test_function_name_from_the_lambda_context_wins(
    written: Written, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN an invocation of add_to_feed in a process whose environment says otherwise
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "distribute_yubl")
    invocation = InvocationScope(function_name="add_to_feed", function_request_id="req-1")
    # WHEN a line is written during the invocation
    with bind_invocation(invocation):
        logger.info("x")
    # THEN it names the invoked function and its request
    [line] = written()
    assert (line["function_name"], line["function_request_id"], line["cold_start"]) == (
        "add_to_feed",
        "req-1",
        False,
    )


@pytest.mark.parametrize(
    ("deployed", "named"),
    [
        ("yubl-fanout-dev-distribute_yubl", "distribute_yubl"),
        ("yubl-fanout-dev-add_to_feed", "add_to_feed"),
        ("yubl-fanout-dev", "api_handler"),
        ("someone-elses-function", "someone-elses-function"),
    ],
)
def test_deployed_function_names_read_as_chalice_names_them(
    written: Written, monkeypatch: pytest.MonkeyPatch, deployed: str, named: str
) -> None:
    # GIVEN the stage's prefix, and an invocation of a deployed function
    monkeypatch.setenv("CHALICE_FUNCTION_PREFIX", "yubl-fanout-dev")
    # WHEN a line is written during the invocation
    with bind_invocation(InvocationScope(function_name=deployed)):
        logger.info("x")
    # THEN the name is Chalice's, not Lambda's
    assert written()[0]["function_name"] == named


def test_lines_also_reach_the_local_log_file(
    written: Written, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # GIVEN LOCAL_LOG_FILE set, in a directory that does not exist yet
    log_file = tmp_path / ".local" / "stack.log"
    monkeypatch.setenv("LOCAL_LOG_FILE", str(log_file))
    # WHEN two lines are written
    with bind({"x-correlation-id": "abc"}):
        logger.info("one")
        logger.warning("two")
    # THEN the file holds the same two JSON lines as stdout, appended
    in_file = [json.loads(text) for text in log_file.read_text().splitlines()]
    assert in_file == written()
    assert [(line["message"], line["x-correlation-id"]) for line in in_file] == [
        ("one", "abc"),
        ("two", "abc"),
    ]
