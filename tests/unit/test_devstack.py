"""The local stack's process and file hygiene: ports, orphans, logs (no emulator needed)."""

from __future__ import annotations

import errno
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devstack.emulator import check_port_free
from devstack.lifeline import command
from devstack.logs import keep_previous, stack_log
from devstack.trace import main as trace_main
from tests.processes import alive


def _port_in_time_wait() -> int:
    """A port whose server side closed a connection first: it lingers in TIME_WAIT."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = int(server.getsockname()[1])
        client = socket.create_connection(("127.0.0.1", port))
        accepted, _ = server.accept()
        accepted.close()  # the server closes first, as a stopped stack does
        client.recv(1)  # sees the close
        client.close()
    return port


def test_a_port_held_only_by_closing_connections_counts_as_free():
    # GIVEN a port that a plain bind (the old check) refuses: a connection is in TIME_WAIT
    port = _port_in_time_wait()
    with (
        socket.socket(socket.AF_INET, socket.SOCK_STREAM) as plain,
        pytest.raises(OSError) as refused,
    ):
        plain.bind(("127.0.0.1", port))
    assert refused.value.errno == errno.EADDRINUSE
    # WHEN the stack checks it THEN it may use it
    check_port_free(port, "API_PORT")


def test_a_port_something_listens_on_is_refused_naming_the_setting():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = int(server.getsockname()[1])
        with pytest.raises(RuntimeError) as refused:
            check_port_free(port, "API_PORT")
    assert str(refused.value) == (
        f"port {port} on 127.0.0.1 is in use: stop what holds it or set API_PORT"
    )


def test_each_run_keeps_only_the_previous_log(tmp_path: Path):
    log = tmp_path / "stack.log"
    log.write_text("run 1\n")
    keep_previous(log)
    assert (log.exists(), (tmp_path / "stack.log.1").read_text()) == (False, "run 1\n")
    log.write_text("run 2\n")
    keep_previous(log)
    assert (tmp_path / "stack.log.1").read_text() == "run 2\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stack.log.1"]
    keep_previous(log)  # nothing to keep: no error, the older copy stays
    assert (tmp_path / "stack.log.1").read_text() == "run 2\n"


def test_the_stack_log_is_found_from_the_log_dir_setting(tmp_path: Path):
    assert stack_log({"LOCAL_LOG_DIR": str(tmp_path)}) == tmp_path / "stack.log"
    given = tmp_path / "elsewhere.log"
    assert stack_log({"LOCAL_LOG_DIR": "x", "LOCAL_LOG_FILE": str(given)}) == given
    assert stack_log({}) == Path(__file__).resolve().parents[2] / ".local" / "stack.log"


def test_trace_reads_the_stack_log_of_local_log_dir(tmp_path, monkeypatch, capsys):
    # GIVEN a stack log in the directory LOCAL_LOG_DIR names, and no LOCAL_LOG_FILE
    line = '{"timestamp": "2026-11-23T15:30:00.000Z", "x-correlation-id": "c-9", "message": "hi"}'
    (tmp_path / "stack.log").write_text(line + "\n")
    monkeypatch.delenv("LOCAL_LOG_FILE", raising=False)
    monkeypatch.setenv("LOCAL_LOG_DIR", str(tmp_path))
    # WHEN the trace command runs without --log THEN it reads that file
    assert trace_main(["c-9", "--json"]) == 0
    assert capsys.readouterr().out == line.replace(": ", ":").replace(", ", ",") + "\n"


@pytest.mark.parametrize("mode", [[], ["--watchdog"]], ids=["parent-death-signal", "watchdog"])
def test_a_child_started_through_the_lifeline_ends_when_its_parent_is_killed(mode):
    # GIVEN a parent that starts a long-running child through the lifeline
    sleeper = [
        sys.executable,
        "-c",
        "import os, time; print(os.getpid(), flush=True); time.sleep(600)",
    ]
    wrapped = command(sleeper)
    parent_code = (
        "import os, subprocess, sys, time\n"
        f"argv = {wrapped[:2]!r} + {mode!r} + [str(os.getpid())] + {wrapped[3:]!r}\n"
        "subprocess.Popen(argv)\n"
        "time.sleep(600)\n"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", parent_code], stdout=subprocess.PIPE, text=True
    )
    try:
        assert parent.stdout is not None
        child_pid = int(parent.stdout.readline())
        assert alive(child_pid)
        # WHEN the parent is killed with SIGKILL
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=10)
        # THEN the child exits too (bounded wait on the condition)
        deadline = time.monotonic() + 30
        while alive(child_pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not alive(child_pid)
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
