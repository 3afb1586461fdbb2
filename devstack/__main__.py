"""``python -m devstack`` (``make run``): bring the local stack up, stop it on Ctrl-C or SIGTERM.

``LOCAL_AWS_PORT`` (default 4566), ``API_PORT`` (default 8000) and ``MONITOR_PORT``
(default the API's + 1: the operations page, ``devstack.monitor``) choose the ports,
``LOCAL_LOG_DIR`` (default ``.local``) where the logs go; each run starts fresh logs
there and keeps the previous run's as ``*.log.1``. The tables and bucket objects are
restored at start from the snapshot a clean stop saved in ``LOCAL_DATA_DIR`` (default
``.local/data``; ``devstack.snapshot``), and saved there every
``LOCAL_SNAPSHOT_SECONDS`` (default 300) while running; ``LOCAL_KEEP_DATA=0`` keeps
nothing. ``LOCAL_QUERY_INDEX=0`` runs the emulator's DynamoDB Query as stock moto does,
reading every item of the table (``devstack.query_index``). With two or more cores, the
emulator runs on one of its own and the runtime and the API on the others;
``LOCAL_CPU_PINNING=0`` leaves them to the scheduler (``devstack.cores``). The children
end with this process, even when it is killed with SIGKILL (``devstack.lifeline``).

Stopping: the first Ctrl-C (or SIGTERM) stops the runtime and the API, saves the data,
then stops the emulator; a Ctrl-C during that quits without saving. Exit codes: 0
stopped and saved; 1 a part of the stack exited on its own, or the data could not be
saved (the output says what is lost and what the next start restores); 130 interrupted
while starting, or quit without saving.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from types import FrameType

from .cores import plan
from .emulator import check_port_free, query_index_enabled
from .logs import log_dir
from .monitor import monitor_page
from .persistence import snapshot_interval
from .snapshot import data_dir, keeps_data
from .stack import LocalStack

INTERRUPTED = 128 + signal.SIGINT  # a shell's code for "ended by Ctrl-C"

PRODUCER_VARIABLES = (
    "AWS_ENDPOINT_URL",
    "AWS_DEFAULT_REGION",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
)


def producer_lines(sdk: dict[str, str], stream: str = "yubl-posted-local") -> list[str]:
    """What a producer (the AWS CLI, boto3, python -m yubl_producer) needs to reach the
    stack: the endpoint, region and credentials (``sdk``: the stack's SDK variables), as
    lines to paste into a shell."""
    exports = " ".join(f"{name}={sdk[name]}" for name in PRODUCER_VARIABLES)
    return [
        f"[stack] producers: stream {stream}; in your shell: export {exports}",
    ]


def main() -> int:
    api_port = int(os.environ.get("API_PORT", "8000"))
    monitor_port = int(os.environ.get("MONITOR_PORT") or api_port + 1)
    stack = LocalStack(
        aws_port=int(os.environ.get("LOCAL_AWS_PORT", "4566")),
        api_port=api_port,
        log_dir=log_dir(),
        data_dir=data_dir() if keeps_data() else None,
        snapshot_every=snapshot_interval(),
        query_index=query_index_enabled(),
        cores=plan(),
    )
    stop_signals: list[int] = []

    def on_signal(signum: int, frame: FrameType | None) -> None:
        # noted in a list, never through a lock: the handler runs in the main thread,
        # maybe while it holds one (an Event.set() here could wait for ever on the lock
        # of the Event whose wait() that thread was in)
        stop_signals.append(signum)

    signal.signal(signal.SIGTERM, on_signal)
    try:  # a Ctrl-C while starting is a KeyboardInterrupt: start() stops what it started
        check_port_free(monitor_port, "MONITOR_PORT")
        stack.start()
    except KeyboardInterrupt:
        print("[stack] interrupted while starting", flush=True)
        return INTERRUPTED
    except Exception as err:
        print(f"[stack] failed to start: {err}", file=sys.stderr, flush=True)
        return 1
    try:
        page = monitor_page(stack, monitor_port)
    except Exception as err:
        print(f"[stack] failed to start the operations page: {err}", file=sys.stderr, flush=True)
        stack.stop()
        return 1
    signal.signal(signal.SIGINT, on_signal)
    page.start()
    assert stack.emulator is not None
    print(
        f"ready: API {stack.api_url}, operations page {page.url}, "
        f"AWS emulator {stack.emulator.endpoint_url}, logs in {stack.log_dir}/ (Ctrl-C stops)",
        flush=True,
    )
    for line in producer_lines(stack.environment()):
        print(line, flush=True)
    code = _serve(stack, stop_signals)
    print("[stack] stopping", flush=True)
    page.stop()
    signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C again: quit now
    try:
        saved = stack.stop()
    except KeyboardInterrupt:
        return INTERRUPTED
    return code if saved else 1


def _serve(stack: LocalStack, stop_signals: list[int]) -> int:
    """Run until a signal asks for a stop (0) or a part of the stack exits on its own (1)."""
    while True:
        time.sleep(0.2)  # the loop sees a signal within 0.2 s
        if stop_signals:
            return 0
        failed = stack.failed_part()
        if failed is not None:
            print(f"[stack] {failed}", flush=True)
            return 1
        if stack.data is not None:
            stack.data.take_if_due()


if __name__ == "__main__":
    sys.exit(main())
