"""``make run`` stopped and started again: the data users made is still there.

Stopped as users stop it: Ctrl-C in its terminal, which sends SIGINT to every process
of the terminal's foreground process group at once (``StackProcess(terminal=True)``).
Each test has its own stack (not the session's), so the restart is its alone; its
snapshot lands in the test's LOCAL_LOG_DIR/data, never in the project's ``.local``.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import uuid
from pathlib import Path

import pytest
import requests
from cfnlint.decode import decode_str

from devstack.emulator import aws_environment, endpoint_client, free_port
from devstack.infra import TEMPLATE_PATH
from devstack.snapshot import SnapshotError, read_snapshot
from tests.processes import alive, descendants

from .conftest import RunningStack, sign_in_users, wait_for
from .stack_process import StackProcess
from .test_config_service import make_api_key

pytestmark = pytest.mark.e2e


def _archive(endpoint: str) -> dict[str, bytes]:
    s3 = endpoint_client(endpoint, "s3")
    listed = s3.list_objects_v2(Bucket="yubl-archive-local").get("Contents", [])
    return {
        o["Key"]: s3.get_object(Bucket="yubl-archive-local", Key=o["Key"])["Body"].read()
        for o in listed
    }


def _feed(api: str, user: str, token: dict[str, str]) -> list[str]:
    response = requests.get(f"{api}/users/{user}/feed", headers=token, timeout=10)
    assert response.status_code == 200, response.text
    return [entry["yubl_id"] for entry in response.json()["items"]]


def _redirect(api: str, code: str) -> tuple[int, str]:
    followed = requests.get(f"{api}/{code}", allow_redirects=False, timeout=10)
    return followed.status_code, followed.headers.get("location", "")


def test_follows_feeds_links_and_config_survive_a_ctrl_c_and_a_restart(tmp_path):
    aws_port, api_port = free_port(), free_port()
    first = StackProcess(aws_port, api_port, tmp_path, terminal=True)
    run = uuid.uuid4().hex[:8]
    author, follower = f"author-{run}", f"follower-{run}"
    try:
        first.wait_ready()
        api = first.api_url
        assert any("no local data snapshot" in line for line in first.output)
        # GIVEN a follow, a post fanned out to the follower's feed, a short link,
        # a config value, a secret config value and the API key that wrote them
        tokens = sign_in_users([author, follower], endpoint=first.aws_endpoint)
        put = requests.put(
            f"{api}/users/{author}/followers/{follower}", headers=tokens[follower], timeout=10
        )
        assert put.status_code == 204
        posted = requests.post(
            f"{api}/yubls", json={"text": "kept"}, headers=tokens[author], timeout=10
        )
        assert posted.status_code == 202
        yubl_id = posted.json()["yubl_id"]
        wait_for(
            lambda: _feed(api, follower, tokens[follower]) == [yubl_id],
            timeout=60,
            what="the feed entry",
        )
        link = requests.post(f"{api}/", json={"url": "https://example.com/kept"}, timeout=10)
        assert link.status_code == 201
        code = link.json()["code"]
        redirect = _redirect(api, code)
        assert redirect[1] == "https://example.com/kept"
        with pytest.MonkeyPatch.context() as patch:
            for name, value in aws_environment(first.aws_endpoint).items():
                patch.setenv(name, value)
            api_key = make_api_key(
                RunningStack.of(first), "SCOPES=read,write", f"PREFIX=kept-{run}."
            )[-1]
        headers = {"x-api-key": api_key}
        plain_key, secret_key = f"kept-{run}.size", f"kept-{run}.token"
        assert requests.put(
            f"{api}/config/{plain_key}", json={"value": 42}, headers=headers, timeout=10
        ).ok
        assert requests.put(
            f"{api}/config/{secret_key}",
            json={"value": "s3cr3t", "secret": True},
            headers=headers,
            timeout=10,
        ).ok
        archived = wait_for(lambda: _archive(first.aws_endpoint), timeout=60, what="the archive")
        # WHEN Ctrl-C is typed in the stack's terminal (SIGINT to its whole process group)
        assert first.interrupt() == 0, first.output[-10:]
    finally:
        first.stop()
    assert any(line.startswith("[stack] saved ") for line in first.output), first.output[-10:]
    assert (tmp_path / "data" / "snapshot.jsonl").exists()

    # AND started again (a new emulator: moto kept nothing)
    second = StackProcess(aws_port, api_port, tmp_path)
    try:
        second.wait_ready()
        api = second.api_url
        # THEN the feed, the follow, the link, the config value, the key and the archive are
        # back (the pool's users are not: the follower signs up again, as the README says)
        again = sign_in_users([follower], endpoint=second.aws_endpoint)[follower]
        assert _feed(api, follower, again) == [yubl_id]
        followers = requests.get(f"{api}/users/{author}/followers", timeout=10)
        assert followers.json()["followers"] == [follower]
        assert _redirect(api, code) == redirect
        value = requests.get(f"{api}/config/{plain_key}", headers=headers, timeout=10)
        assert (value.status_code, value.json()["value"]) == (200, 42)
        assert _archive(second.aws_endpoint) == archived
        # AND the secret, sealed under the old emulator's KMS key, is named as unreadable
        reported = [line for line in second.output if "config secrets unreadable" in line]
        assert len(reported) == 1 and reported[0].rstrip().endswith(
            f"material is new): {secret_key}; PUT them again"
        ), second.output[-20:]
    finally:
        # AND a SIGTERM (a service manager's stop) saves as well
        assert second.stop() == 0
    assert any(line.startswith("[stack] saved ") for line in second.output), second.output[-10:]


def _free(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except OSError:
        return True
    return False


def test_a_killed_stack_comes_back_with_its_last_periodic_snapshot(tmp_path):
    aws_port, api_port = free_port(), free_port()
    first = StackProcess(aws_port, api_port, tmp_path, LOCAL_SNAPSHOT_SECONDS="1")
    follower = f"follower-{uuid.uuid4().hex[:8]}"
    snapshot = tmp_path / "data" / "snapshot.jsonl"
    try:
        first.wait_ready()
        # GIVEN a follow that a periodic snapshot of the running stack has saved
        someone = f"someone-{uuid.uuid4().hex[:8]}"
        token = sign_in_users([someone, follower], endpoint=first.aws_endpoint)[follower]
        put = requests.put(
            f"{first.api_url}/users/{someone}/followers/{follower}", headers=token, timeout=10
        )
        assert put.status_code == 204
        wait_for(
            lambda: _snapshot_follows(snapshot, someone, follower),
            timeout=60,
            what="a periodic snapshot with the follow",
        )
        # WHEN the stack is killed with SIGKILL (it can save nothing more)
        parts = descendants(first.process.pid)
        os.kill(first.process.pid, signal.SIGKILL)
        first.process.wait(timeout=10)
    finally:
        first.stop()
    assert not any(line.startswith("[stack] saved ") for line in first.output)
    # THEN every process it started ends too (the emulator, the API, the event runtime)
    assert len(parts) >= 3, " | ".join(parts.values())
    wait_for(
        lambda: not any(alive(pid) for pid in parts),
        timeout=30,
        what="the killed stack's processes (emulator, API, event runtime) to end",
    )
    wait_for(lambda: _free(aws_port) and _free(api_port), timeout=60, what="the ports")
    second = StackProcess(aws_port, api_port, tmp_path)
    try:
        # THEN the next start restores that snapshot
        second.wait_ready()
        followers = requests.get(f"{second.api_url}/users/{someone}/followers", timeout=10)
        assert followers.json()["followers"] == [follower]
    finally:
        assert second.stop() == 0


def _snapshot_follows(snapshot: Path, user: str, follower: str) -> bool:
    """Whether the snapshot saved the relationship (the follower's id alone is in the
    users table's rows from their sign-up on)."""
    if not snapshot.exists():
        return False
    try:
        _, contents = read_snapshot(snapshot)
    except SnapshotError:  # a snapshot being replaced as it is read
        return False
    relationships = contents.tables.get("RelationshipsTable", [])
    wanted = {"user_id": {"S": user}, "follower_id": {"S": follower}}
    return any({k: item.get(k) for k in wanted} == wanted for item in relationships)


def _template_ids(kind: str) -> list[str]:
    """The logical ids of the template's resources of ``kind``, sorted."""
    template, _ = decode_str(TEMPLATE_PATH.read_text())
    return sorted(k for k, v in template["Resources"].items() if v["Type"] == kind)


def test_a_save_that_fails_exits_1_saying_what_is_lost_and_what_comes_back(tmp_path):
    # GIVEN a good snapshot of an earlier run (one follow), taken at a known time
    data = tmp_path / "data"
    data.mkdir()
    snapshot = data / "snapshot.jsonl"
    rows = [
        {"format": "yubl-local-snapshot/1", "taken_at": "2026-01-02T03:04:05+00:00"},
        {"table": "RelationshipsTable", "Item": {"user_id": {"S": "a"}, "follower_id": {"S": "b"}}},
        {"end": {"tables": {"RelationshipsTable": 1}, "buckets": {}}},
    ]
    snapshot.write_text("".join(json.dumps(row) + "\n" for row in rows))
    good = snapshot.read_bytes()
    # AND a directory where a save writes its file first, so that this run's save fails
    (data / "snapshot.jsonl.partial").mkdir()
    stack = StackProcess(free_port(), free_port(), tmp_path, terminal=True)
    try:
        stack.wait_ready()
        followers = requests.get(f"{stack.api_url}/users/a/followers", timeout=10)
        assert followers.json()["followers"] == ["b"]
        # WHEN Ctrl-C stops it
        code = stack.interrupt()
    finally:
        stack.stop()
    # THEN it exits 1, saying why, what is lost and which snapshot the next start restores
    assert code == 1, stack.output[-10:]
    said = [line.rstrip("\n") for line in stack.output if line.startswith("[stack] ")][-3:]
    assert said[0].startswith(f"[stack] local data NOT saved to {snapshot}: "), said
    assert "Is a directory" in said[0]
    tables = ", ".join(_template_ids("AWS::DynamoDB::Table"))
    assert _template_ids("AWS::S3::Bucket") == ["ArchiveBucket", "ExportsBucket"]
    assert said[1:] == [
        "[stack] lost: every change made since 2026-01-02 03:04:05 UTC to the tables "
        f"{tables} and the buckets ArchiveBucket, ExportsBucket",
        f"[stack] the next make run restores the last good snapshot, {snapshot}",
    ]
    # AND that snapshot is as it was
    assert snapshot.read_bytes() == good
