"""``make run`` as a user lives with it: stopped and started again at once, killed hard.

Linux only: the process table and socket states are read from ``/proc``.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import socket
import subprocess
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from devstack.emulator import aws_environment, free_port
from devstack.stack import PROJECT_DIR
from tests.processes import ALLOWED_CORES, alive, descendants, thread_cores

from .conftest import sign_in_users, wait_for
from .stack_process import StackProcess

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads /proc"),
]

# a post's last log lines: every yubl-posted event reaches the archive and notifications
# groups, whose workers log these once done (tracing earlier races the later hops)
LAST_HOPS = {"event archived", "notifications written"}
_NOT_LISTENING = {"04", "05", "06", "08", "09", "0B"}  # FIN_WAIT1/2, TIME_WAIT, ... (not LISTEN)


def _lingering_sockets(port: int) -> list[str]:
    """States of the sockets on 127.0.0.1:``port`` that are closing, not listening."""
    states = []
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].split(":")[1], 16)
        if local_port == port and fields[3] in _NOT_LISTENING:
            states.append(fields[3])
    return states


def _plain_bind_fails(port: int) -> bool:
    """Whether a bind without SO_REUSEADDR (the old port check) is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as err:
            return err.errno == errno.EADDRINUSE
        return False


def _refuses_connections(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(2)
        return sock.connect_ex(("127.0.0.1", port)) != 0


def _trace(correlation_id: str, log_dir: Path) -> subprocess.CompletedProcess[str]:
    """``make trace`` as a user types it, with LOCAL_LOG_DIR on the command line."""
    env = {k: v for k, v in os.environ.items() if k not in ("LOCAL_LOG_FILE", "LOCAL_LOG_DIR")}
    command = ["make", "-s", "--no-print-directory", "trace", f"ID={correlation_id}"]
    return subprocess.run(
        [*command, f"LOCAL_LOG_DIR={log_dir}"],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _fields_of(correlation_id: str, log: Path) -> list[dict[str, Any]]:
    """JSON lines of ``log`` with ``correlation_id`` as one of their values."""
    lines = []
    for text in log.read_text().splitlines():
        try:
            fields = json.loads(text)
        except ValueError:
            continue
        if isinstance(fields, dict) and correlation_id in fields.values():
            lines.append(fields)
    return lines


def _lines_of(correlation_id: str, log: Path) -> int:
    return len(_fields_of(correlation_id, log))


def _messages_of(correlation_id: str, log: Path) -> set[str]:
    return {str(fields.get("message")) for fields in _fields_of(correlation_id, log)}


def test_a_stopped_stack_starts_again_at_once_with_fresh_logs(tmp_path):
    # GIVEN a stack that served HTTP calls and SDK calls over kept-alive connections
    aws_port, api_port = free_port(), free_port()
    first = StackProcess(aws_port, api_port, tmp_path)
    first.wait_ready()
    correlation_id = f"run-1-{uuid.uuid4().hex[:8]}"
    http = requests.Session()
    try:
        for _ in range(3):
            assert http.get(f"{first.api_url}/health", timeout=10).status_code == 200
        token = sign_in_users(["restart-test"], endpoint=first.aws_endpoint)["restart-test"]
        posted = http.post(
            f"{first.api_url}/yubls",
            json={"text": "before the restart"},
            headers={"x-correlation-id": correlation_id, **token},
            timeout=10,
        )
        assert posted.status_code == 202
        env = aws_environment(first.aws_endpoint)
        sqs = boto3.Session(
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
            region_name=env["AWS_DEFAULT_REGION"],
        ).client("sqs", endpoint_url=first.aws_endpoint)
        for _ in range(3):
            sqs.list_queues()
        wait_for(
            lambda: _messages_of(correlation_id, tmp_path / "stack.log") >= LAST_HOPS,
            timeout=60,
            what="the post's log lines, to its last hop",
        )
        traced = _trace(correlation_id, tmp_path)
        assert traced.returncode == 0, traced.stderr
        assert len(traced.stdout.splitlines()) == _lines_of(correlation_id, tmp_path / "stack.log")
        # WHEN it is stopped (the servers close their side first), then started again at once
        assert first.stop() == 0
    finally:
        http.close()
    lingering = _lingering_sockets(api_port) + _lingering_sockets(aws_port)
    assert lingering, "no closing connection on the stack's ports: the test proves nothing"
    assert _plain_bind_fails(api_port) or _plain_bind_fails(aws_port)
    second = StackProcess(aws_port, api_port, tmp_path)
    try:
        # THEN it is ready on the same ports
        second.wait_ready()
        assert requests.get(f"{second.api_url}/health", timeout=10).status_code == 200
        # AND the first run's log was moved aside: a trace does not mix the two runs
        assert correlation_id in (tmp_path / "stack.log.1").read_text()
        assert correlation_id not in (tmp_path / "stack.log").read_text()
        again = _trace(correlation_id, tmp_path)
        assert again.returncode != 0
        expected = f"no lines for {correlation_id} in {tmp_path / 'stack.log'}"
        assert again.stderr.splitlines()[0] == expected
    finally:
        assert second.stop() == 0


def test_children_of_a_killed_stack_exit_and_free_the_ports(tmp_path):
    # GIVEN a running stack and its child processes
    aws_port, api_port = free_port(), free_port()
    stack = StackProcess(aws_port, api_port, tmp_path)
    try:
        stack.wait_ready()
        children = descendants(stack.process.pid)
        commands = " | ".join(children.values())
        assert len(children) == 3, commands
        for part in ("devstack.emulator_server", "local_runtime", "devstack.api_server"):
            assert part in commands
        # WHEN the stack process is killed with SIGKILL (it can clean nothing up)
        os.kill(stack.process.pid, signal.SIGKILL)
        assert stack.process.wait(timeout=10) == -signal.SIGKILL
    finally:
        if stack.process.poll() is None:
            stack.process.kill()
    # THEN every child exits, and nothing listens on the stack's ports any more
    wait_for(
        lambda: not [pid for pid in children if alive(pid)],
        timeout=60,
        what=f"the children {sorted(children)} to exit",
    )
    wait_for(
        lambda: _refuses_connections(aws_port) and _refuses_connections(api_port),
        timeout=30,
        what="the ports to be free",
    )


@pytest.mark.skipif(len(ALLOWED_CORES) < 2, reason="needs two cores to pin apart")
def test_the_emulator_runs_on_a_core_of_its_own_and_its_callers_on_the_others(tmp_path):
    # GIVEN the cores this test may use, which the stack inherits
    allowed = ALLOWED_CORES
    first = min(allowed)
    # WHEN the stack runs with its default settings
    stack = StackProcess(free_port(), free_port(), tmp_path)
    try:
        stack.wait_ready()
        # THEN every thread of the emulator runs on the lowest core only, and every
        # thread of the runtime and the API on the other cores
        by_part = {}
        for pid, line in descendants(stack.process.pid).items():
            part = next(p for p in ("emulator_server", "local_runtime", "api_server") if p in line)
            by_part[part] = thread_cores(pid)
        assert by_part == {
            "emulator_server": {frozenset({first})},
            "local_runtime": {allowed - {first}},
            "api_server": {allowed - {first}},
        }
        expected = f"cores: the emulator on core {first}, its callers on "
        assert any(expected in line for line in stack.output), stack.output[:20]
    finally:
        assert stack.stop() == 0
