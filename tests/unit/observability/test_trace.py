"""devstack.trace: one correlation id's lines, across functions, in time order."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chalicelib.observability import metrics
from chalicelib.observability.context import InvocationScope, bind, bind_invocation
from chalicelib.observability.logging import logger
from devstack.trace import main, render, trace


def log_line(timestamp: str, function: str, message: str, **ids: str) -> str:
    fields: dict[str, Any] = {
        "level": "INFO",
        "message": message,
        "timestamp": timestamp,
        "service": "yubl-fanout",
        "function_name": function,
    }
    fields.update({key.replace("_", "-"): value for key, value in ids.items()})
    return json.dumps(fields)


def emf_line(epoch_ms: int, name: str, value: float, **ids: str) -> str:
    return json.dumps(
        {
            "_aws": {
                "Timestamp": epoch_ms,
                "CloudWatchMetrics": [
                    {
                        "Namespace": "YublFanout",
                        "Dimensions": [["service"]],
                        "Metrics": [{"Name": name, "Unit": "Count"}],
                    }
                ],
            },
            "service": "yubl-fanout",
            "function_name": "add_to_feed",
            **{key.replace("_", "-"): v for key, v in ids.items()},
            name: [value],
        }
    )


# 2026-11-23T15:00:00.300Z in epoch milliseconds
EPOCH_MS_0300 = 1795446000300

STACK_LOG = [
    # written by three processes: not in time order in the file
    log_line("2026-11-23T15:00:00.400+00:00", "add_to_feed", "feed written", x_correlation_id="A"),
    log_line("2026-11-23T15:00:00.100+00:00", "api_handler", "yubl accepted", x_correlation_id="A"),
    log_line("2026-11-23T15:00:00.150+00:00", "api_handler", "other post", x_correlation_id="B"),
    "chalice local: Serving on http://127.0.0.1:8000",
    emf_line(EPOCH_MS_0300, "FeedEntriesWritten", 25, x_correlation_id="A"),
    log_line(
        "2026-11-23T15:00:00.200+00:00",
        "distribute_yubl",
        "fanned out",
        x_correlation_id="A",
        call_chain_length="1",
    ),
    log_line(
        "2026-11-23T15:00:00.250+00:00", "distribute_yubl", "by user", x_correlation_user_id="A"
    ),
]


def test_lines_of_one_id_come_out_in_time_order() -> None:
    # GIVEN the stack's log with lines of two ids, out of order, and a stray print
    # WHEN the trace of A is taken
    lines = trace(STACK_LOG, "A")
    # THEN A's log and metric lines come out oldest first, across all functions
    assert [line.fields.get("message", "metric") for line in lines] == [
        "yubl accepted",
        "fanned out",
        "by user",
        "metric",
        "feed written",
    ]


def test_lines_of_the_same_instant_keep_file_order() -> None:
    # GIVEN two lines written in the same millisecond
    same = "2026-11-23T15:00:00.100+00:00"
    log = [
        log_line(same, "f", "first", x_correlation_id="A"),
        log_line(same, "f", "second", x_correlation_id="A"),
    ]
    # WHEN the trace is taken
    # THEN they keep the order they were written in
    assert [line.fields["message"] for line in trace(log, "A")] == ["first", "second"]


def test_a_line_reads_as_time_function_level_message_hop() -> None:
    # GIVEN the dispatcher's line at hop 1
    [line] = [
        entry for entry in trace(STACK_LOG, "A") if entry.fields.get("message") == "fanned out"
    ]
    # WHEN it is rendered
    # THEN it is one readable line
    assert render(line) == (
        "2026-11-23T15:00:00.200Z  distribute_yubl      INFO     fanned out  (hop 1)"
    )


def test_a_metric_line_reads_as_its_name_and_value() -> None:
    # GIVEN the metric line of the trace
    [line] = [entry for entry in trace(STACK_LOG, "A") if "_aws" in entry.fields]
    # WHEN it is rendered
    # THEN it shows the metric's name, value and unit
    assert render(line) == (
        "2026-11-23T15:00:00.300Z  add_to_feed          METRIC   metric FeedEntriesWritten=25 Count"
    )


def test_command_prints_the_trace_from_the_log_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN the stack's log file
    log_file = tmp_path / "stack.log"
    log_file.write_text("\n".join(STACK_LOG) + "\n")
    # WHEN the command runs for A
    status = main(["A", "--log", str(log_file)])
    # THEN it prints A's five lines in time order and succeeds
    out = capsys.readouterr().out.splitlines()
    assert status == 0
    assert [text.split()[0] for text in out] == [
        "2026-11-23T15:00:00.100Z",
        "2026-11-23T15:00:00.200Z",
        "2026-11-23T15:00:00.250Z",
        "2026-11-23T15:00:00.300Z",
        "2026-11-23T15:00:00.400Z",
    ]


def test_command_fails_when_the_id_has_no_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a log without the id
    log_file = tmp_path / "stack.log"
    log_file.write_text("\n".join(STACK_LOG) + "\n")
    # WHEN the command runs for an unknown id
    status = main(["nope", "--log", str(log_file)])
    # THEN it says so on stderr and exits 1
    assert status == 1
    assert capsys.readouterr().err == f"no lines for nope in {log_file}\n"


def test_command_fails_when_the_log_file_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN no log file
    missing = tmp_path / "absent.log"
    # WHEN the command runs
    status = main(["A", "--log", str(missing)])
    # THEN it exits 2 naming the file
    assert (status, capsys.readouterr().err) == (2, f"no log file at {missing}\n")


def test_trace_reads_what_the_package_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN lines and a metric written by the observability package to LOCAL_LOG_FILE
    log_file = tmp_path / ".local" / "stack.log"
    monkeypatch.setenv("LOCAL_LOG_FILE", str(log_file))
    with bind({"x-correlation-id": "end-to-end", "call-chain-length": "0"}):
        logger.info("yubl accepted")
    with (
        bind_invocation(InvocationScope(function_name="distribute_yubl")),
        bind({"x-correlation-id": "end-to-end", "call-chain-length": "1"}),
    ):
        logger.info("fanned out")
        metrics.count("FollowersFannedOut", 3)
    capsys.readouterr()
    # WHEN the command runs for that id
    status = main(["end-to-end", "--log", str(log_file)])
    # THEN all three lines come out, each naming its function and message
    out = capsys.readouterr().out.splitlines()
    assert status == 0
    assert [text.split(None, 1)[1] for text in out] == [
        "api                  INFO     yubl accepted  (hop 0)",
        "distribute_yubl      INFO     fanned out  (hop 1)",
        "distribute_yubl      METRIC   metric FollowersFannedOut=3 Count  (hop 1)",
    ]
