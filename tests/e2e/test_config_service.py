"""The config service in the whole local stack: make api-key, the dispatcher reading its
group size through the client library, another service reading a secret over HTTP, and
no secret in any log of the run."""

from __future__ import annotations

import json
import os
import subprocess
import uuid

import boto3
import pytest
import requests

from chalicelib.config.client import ConfigClient, ConfigProvider, HttpSource
from chalicelib.config.crypto import KmsEnvelopeCipher
from devstack.stack import PROJECT_DIR

from .conftest import sign_in_users, wait_for

pytestmark = pytest.mark.e2e


def make_api_key(local_stack, *args: str) -> list[str]:
    """``make api-key`` against the running stack; its output lines."""
    port = local_stack.aws_endpoint.rsplit(":", 1)[1]
    done = subprocess.run(
        ["make", "-s", "api-key", f"LOCAL_AWS_PORT={port}", *args],
        cwd=PROJECT_DIR,
        env={**os.environ, "MAKEFLAGS": ""},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout.strip().splitlines()


def _put(local_stack, key: str, api_key: str, body: dict, **headers: str) -> requests.Response:
    return requests.put(
        f"{local_stack.api_url}/config/{key}",
        json=body,
        headers={"x-api-key": api_key, **headers},
        timeout=10,
    )


def test_make_api_key_prints_a_key_that_works_until_it_is_revoked(local_stack):
    prefix = f"e2e-{uuid.uuid4().hex[:8]}."
    lines = make_api_key(local_stack, "SCOPES=read,write", f"PREFIX={prefix}")
    api_key = lines[-1]
    key_id = api_key.split(".")[0]
    assert lines[0].startswith(f"created API key {key_id} (scopes read,write, prefix '{prefix}')")
    assert _put(local_stack, f"{prefix}x", api_key, {"value": 1}).json() == {
        "key": f"{prefix}x",
        "version": 1,
    }
    [listed] = [line for line in make_api_key(local_stack, "ARGS=list") if line.startswith(key_id)]
    assert listed.split()[1:3] == ["read,write", f"'{prefix}'"] and listed.endswith("active")
    assert api_key not in "\n".join(make_api_key(local_stack, "ARGS=list"))

    assert make_api_key(local_stack, f"ARGS=revoke {key_id}") == [f"revoked {key_id}"]
    refused = _put(local_stack, f"{prefix}x", api_key, {"value": 2})
    assert (refused.status_code, refused.json()) == (
        401,
        {"error": "x-api-key: this API key was revoked"},
    )


def _distributed(local_stack, yubl_id: str) -> dict | None:
    for raw in local_stack.log_file.read_text().splitlines():
        if yubl_id in raw and '"yubl routed to group feed"' in raw:
            return json.loads(raw)
    return None


def test_the_dispatcher_uses_a_group_size_changed_through_the_api(local_stack):
    api_key = make_api_key(local_stack, "SCOPES=read,write", "PREFIX=fanout.")[-1]
    author = f"author-{uuid.uuid4().hex[:8]}"
    followers = [f"{author}-f{n}" for n in range(5)]
    tokens = sign_in_users([author, *followers])
    for follower in followers:
        follow = requests.put(
            f"{local_stack.api_url}/users/{author}/followers/{follower}",
            headers=tokens[follower],
            timeout=10,
        )
        assert follow.status_code == 204
    assert _put(local_stack, "fanout.group_size", api_key, {"value": 2}).status_code == 200

    def messages_of_a_new_post() -> int:
        posted = requests.post(
            f"{local_stack.api_url}/yubls", json={"text": "hi"}, headers=tokens[author], timeout=10
        ).json()
        line = wait_for(
            lambda: _distributed(local_stack, posted["yubl_id"]), 60, "the dispatcher's log"
        )
        assert line["followers"] == 5
        return int(line["messages"])

    try:
        # within the client's TTL (5 s on the local stage) the change reaches the dispatcher:
        # 5 followers in groups of 2 make 3 messages, where the default 500 makes 1
        wait_for(lambda: messages_of_a_new_post() == 3, 90, "3 messages of 2 followers")
    finally:
        requests.delete(
            f"{local_stack.api_url}/config/fanout.group_size",
            headers={"x-api-key": api_key},
            timeout=10,
        )
        # the group size is the whole stack's: back to the default (1 message) before the
        # next test posts, or its fan-out would run in groups of 2
        wait_for(lambda: messages_of_a_new_post() == 1, 90, "the default group size again")


def test_a_secret_read_over_http_never_shows_in_any_log(local_stack):
    prefix = f"e2e-{uuid.uuid4().hex[:8]}."
    api_key = make_api_key(local_stack, "SCOPES=read,write", f"PREFIX={prefix}")[-1]
    plaintext = f"plaintext-{uuid.uuid4().hex}"
    traced = f"corr-{uuid.uuid4().hex[:8]}"
    debug = {"debug-log-enabled": "true", "x-correlation-id": traced}
    key = f"{prefix}db.password"
    assert _put(local_stack, key, api_key, {"value": plaintext, "secret": True}, **debug).ok
    # error paths that carry the secret in their request
    refusals = [
        _put(local_stack, key, api_key, {"value": plaintext, "expected_version": 7}, **debug),
        _put(local_stack, key, api_key, {"value": plaintext, "secret": "yes"}, **debug),
        _put(local_stack, key, api_key, {"value": plaintext, "oops": 1}, **debug),
        _put(local_stack, "elsewhere.key", api_key, {"value": plaintext, "secret": True}, **debug),
        _put(local_stack, key, "bad-key", {"value": plaintext, "secret": True}, **debug),
    ]
    assert [r.status_code for r in refusals] == [409, 400, 400, 403, 401]
    assert all(plaintext not in r.text for r in refusals)
    shown = requests.get(
        f"{local_stack.api_url}/config/{key}", headers={"x-api-key": api_key}, timeout=10
    )
    history = requests.get(
        f"{local_stack.api_url}/config/{key}/history", headers={"x-api-key": api_key}, timeout=10
    )
    assert plaintext not in shown.text + history.text

    # another service: the HTTP API, decrypting with KMS on its own permissions
    kms = boto3.client("kms", endpoint_url=local_stack.aws_endpoint)
    client = ConfigClient(
        ConfigProvider(
            HttpSource(local_stack.api_url, api_key, requests.Session()),
            KmsEnvelopeCipher(kms, "alias/yubl-config-local"),
        )
    )
    assert client.get(key) == plaintext

    log_files = sorted(local_stack.log_file.parent.iterdir())
    assert {p.name for p in log_files} >= {"stack.log", "api.log", "emulator.log"}
    logged = wait_for(
        lambda: local_stack.log_file.read_text().count(f'"x-correlation-id":"{traced}"') >= 6,
        30,
        "the traced requests' log lines",
    )
    assert logged  # the requests above were logged: the search below has something to search
    leaks = [p.name for p in log_files if plaintext in p.read_text(errors="replace")]
    assert leaks == []
