"""Start and stop a moto server: the local stand-in for AWS, reached only over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .flags import flag_on
from .lifeline import command
from .query_index import check_moto_version

__all__ = [
    "Emulator",
    "aws_environment",
    "check_port_free",
    "endpoint_client",
    "free_port",
    "query_index_enabled",
    "start_emulator",
    "wait_for_http",
]

LOCAL_REGION = "us-east-1"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def check_port_free(port: int, setting: str) -> None:
    """Fail with a message that names the setting to change when ``port`` is taken.

    ``SO_REUSEADDR``, as the servers themselves bind: connections of a stack that just
    stopped linger in TIME_WAIT for a minute, and they must not count as "in use".
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            raise RuntimeError(
                f"port {port} on 127.0.0.1 is in use: stop what holds it or set {setting}"
            ) from None


def wait_for_http(url: str, timeout: float, process: subprocess.Popen[Any] | None = None) -> None:
    """Block until ``url`` answers any HTTP status, or raise after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process for {url} exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answered, with an error status: it is up
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not answer within {timeout:.0f}s") from None
            time.sleep(0.1)


def aws_environment(endpoint_url: str, region: str = LOCAL_REGION) -> dict[str, str]:
    """The standard SDK variables that point every AWS client at ``endpoint_url``.

    Only standard names: code under ``chalicelib`` never learns that an emulator exists.
    """
    return {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
    }


def endpoint_client(endpoint_url: str, service: str) -> Any:
    """A boto3 client of ``service`` at ``endpoint_url`` with ``aws_environment``'s region
    and credentials, from a session of its own (the process's environment untouched)."""
    import boto3

    env = aws_environment(endpoint_url)
    return boto3.session.Session(
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        region_name=env["AWS_DEFAULT_REGION"],
    ).client(service, endpoint_url=endpoint_url)


@dataclass
class Emulator:
    """A running moto server process."""

    port: int
    process: subprocess.Popen[bytes]

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, service: str) -> Any:
        """A boto3 client of ``service`` on this emulator, from a session of its own."""
        return endpoint_client(self.endpoint_url, service)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


_PROJECT_DIR = Path(__file__).resolve().parent.parent


def query_index_enabled(environ: Mapping[str, str] = os.environ) -> bool:
    """``LOCAL_QUERY_INDEX`` (default 1): the emulator serves DynamoDB Query by partition
    and index (``devstack.query_index``); 0 runs stock moto, which reads every item."""
    return flag_on(environ.get("LOCAL_QUERY_INDEX"))


def start_emulator(
    port: int | None = None,
    log: IO[bytes] | Path | None = None,
    request_log: bool = True,
    query_index: bool = True,
    cpus: Collection[int] | None = None,
) -> Emulator:
    """Start moto's server (``devstack.emulator_server``) on 127.0.0.1 and wait until it
    answers; ``request_log=False`` drops its line per request (errors are still logged),
    ``query_index=False`` runs stock moto's DynamoDB Query, and ``cpus`` runs it on
    those cores only (``devstack.cores``).

    In a session of its own: a Ctrl-C in the terminal does not reach it, so the stack can
    still save its data after a Ctrl-C and stop it then; it ends with this process
    all the same (``devstack.lifeline``)."""
    if query_index:
        check_moto_version()  # here too, so the error is this call's, not a log line's
    port = port or free_port()
    if isinstance(log, Path):
        log.parent.mkdir(parents=True, exist_ok=True)
        out: IO[bytes] | int = log.open("ab")
    elif log is None:
        out = subprocess.DEVNULL
    else:
        out = log
    env = {
        **os.environ,
        "MOTO_CALL_RESET_API": "false",
        # the same user pool and client ids in every run, so a restored stack's settings hold
        "MOTO_COGNITO_IDP_USER_POOL_ID_STRATEGY": "HASH",
        "MOTO_COGNITO_IDP_USER_POOL_CLIENT_ID_STRATEGY": "HASH",
    }
    flags = [*([] if request_log else ["--quiet"]), *([] if query_index else ["--stock"])]
    server = [sys.executable, "-m", "devstack.emulator_server", *flags]
    process = subprocess.Popen(
        command([*server, "-H", "127.0.0.1", "-p", str(port)], cpus=cpus),
        stdin=subprocess.DEVNULL,
        stdout=out,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=_PROJECT_DIR,  # where ``-m devstack.emulator_server`` finds the package
        start_new_session=True,
    )
    emulator = Emulator(port=port, process=process)
    try:
        wait_for_http(f"{emulator.endpoint_url}/moto-api/", timeout=30, process=process)
    except Exception:
        emulator.stop()
        raise
    return emulator
