"""``python -m devstack`` (``make run``): bring the local stack up, stop it on Ctrl-C or SIGTERM.

``LOCAL_AWS_PORT`` (default 4566) and ``API_PORT`` (default 8000) choose the ports,
``LOCAL_LOG_DIR`` (default ``.local``) where the logs go; each run starts fresh logs
there and keeps the previous run's as ``*.log.1``. The tables and archive objects are
restored at start from the snapshot a clean stop saved in ``LOCAL_DATA_DIR`` (default
``.local/data``; ``devstack.snapshot``), and saved there every
``LOCAL_SNAPSHOT_SECONDS`` (default 300) while running; ``LOCAL_KEEP_DATA=0`` keeps
nothing. ``LOCAL_QUERY_INDEX=0`` runs the emulator's DynamoDB Query as stock moto does,
reading every item of the table (``devstack.query_index``). The children end with this
process, even when it is killed with SIGKILL (``devstack.lifeline``).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from types import FrameType

from .emulator import query_index_enabled
from .logs import log_dir
from .persistence import snapshot_interval
from .snapshot import data_dir, keeps_data
from .stack import LocalStack


def main() -> int:
    stack = LocalStack(
        aws_port=int(os.environ.get("LOCAL_AWS_PORT", "4566")),
        api_port=int(os.environ.get("API_PORT", "8000")),
        log_dir=log_dir(),
        data_dir=data_dir() if keeps_data() else None,
        snapshot_every=snapshot_interval(),
        query_index=query_index_enabled(),
    )
    stopping = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        stack.start()
    except Exception as err:
        print(f"[stack] failed to start: {err}", file=sys.stderr, flush=True)
        return 1
    assert stack.emulator is not None
    print(
        f"ready: API {stack.api_url}, AWS emulator {stack.emulator.endpoint_url}, "
        f"logs in {stack.log_dir}/ (Ctrl-C stops)",
        flush=True,
    )
    code = 0
    while not stopping.wait(0.5):
        failed = stack.failed_child()
        if failed is not None:
            print(f"[stack] {failed.name} exited with code {failed.process.returncode}", flush=True)
            code = 1
            break
        if stack.data is not None:
            stack.data.take_if_due()
    print("[stack] stopping", flush=True)
    stack.stop()
    return code


if __name__ == "__main__":
    sys.exit(main())
