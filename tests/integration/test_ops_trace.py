"""``make trace ID=... STAGE=<stage>`` on the emulator: StartQuery and GetQueryResults over
real log groups, printed as the local ``make trace`` prints (moto's Logs Insights returns
every line and ignores the filter: the exact-id selection of ``ops.trace`` is what keeps
only the request's own lines)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from ops.trace import main

pytestmark = pytest.mark.emulator


def _put(logs, group: str, lines: list[tuple[datetime, str]]) -> None:
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    logs.put_log_events(
        logGroupName=group,
        logStreamName="s",
        logEvents=[
            {"timestamp": int(at.timestamp() * 1000), "message": text} for at, text in lines
        ],
    )


def test_trace_on_a_stage_prints_the_requests_lines_across_functions_in_time_order(
    emulator_endpoint, capsys
):
    logs = boto3.client("logs")
    run = uuid.uuid4().hex[:8]
    api, feed = f"/aws/lambda/{run}-api", f"/aws/lambda/{run}-add_to_feed"
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    mine, other = f"req-{run}", f"req-{run}-2"
    _put(
        logs,
        api,
        [
            (
                at,
                f'{{"level":"INFO","timestamp":"{at.isoformat()}","function_name":"api_handler",'
                f'"message":"http request handled","x-correlation-id":"{mine}",'
                '"call-chain-length":1}',
            ),
            (at, f'{{"level":"INFO","message":"another","x-correlation-id":"{other}"}}'),
        ],
    )
    later = at + timedelta(seconds=2)
    _put(
        logs,
        feed,
        [
            (
                later,
                f'{{"level":"WARNING","timestamp":"{later.isoformat()}",'
                '"function_name":"add_to_feed","message":"feed write retried",'
                f'"x-correlation-id":"{mine}","call-chain-length":2}}',
            )
        ],
    )
    code = main(["--stage", "local", "--hours", "1", "--log-group", api, "--log-group", feed, mine])
    assert code == 0
    stamp = at.strftime("%Y-%m-%dT%H:%M:%S")
    stamp_later = later.strftime("%Y-%m-%dT%H:%M:%S")
    assert capsys.readouterr().out == (
        f"{stamp}.000Z  api_handler          INFO     http request handled  (hop 1)\n"
        f"{stamp_later}.000Z  add_to_feed          WARNING  feed write retried  (hop 2)\n"
    )


def test_trace_of_an_id_with_no_lines_says_so_and_exits_1(emulator_endpoint, capsys):
    logs = boto3.client("logs")
    group = f"/aws/lambda/{uuid.uuid4().hex[:8]}-api"
    _put(logs, group, [(datetime.now(UTC), '{"message":"x","x-correlation-id":"someone"}')])
    assert main(["--stage", "dev", "--log-group", group, "nobody"]) == 1
    assert capsys.readouterr().err == (
        "no lines for nobody in the last 24 h of 1 log groups of stage dev\n"
    )
