"""``python -m local_runtime --project-dir DIR --stage STAGE``: run until SIGINT/SIGTERM.

Prints one ``ready: ...`` line on stdout once every poller has its starting position;
``make run`` waits for it.

Once started, the heap built so far (the app, its libraries, the SDK's service models:
100,000 and more objects) is frozen out of Python's full collections (``gc.freeze``).
Every function shares this one process, so a full collection stops all of them while it
walks every object: 60-112 ms each inside ``make bench``'s burst, logged with
``gc.callbacks``; 25-48 ms with the start's heap frozen. Reference counting still frees a
frozen object that loses its last reference.
"""

from __future__ import annotations

import argparse
import gc
import logging
import signal
import sys
import time
from collections.abc import Sequence
from types import FrameType

from local_runtime.config import ConfigError
from local_runtime.runtime import MAX_RECEIVE_WAIT, LocalRuntime

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m local_runtime",
        description="Run the Kinesis, SNS and SQS event sources of a Chalice app locally.",
    )
    parser.add_argument("--project-dir", default=".", help="the Chalice project (has app.py)")
    parser.add_argument("--stage", default="local", help="the Chalice stage (default: local)")
    parser.add_argument(
        "--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"]
    )
    parser.add_argument(
        "--status-interval",
        type=float,
        default=None,
        help="seconds between status lines (default: $LOCAL_RUNTIME_STATUS_INTERVAL or 30)",
    )
    parser.add_argument(
        "--poll-interval",
        type=float,
        default=None,
        help="seconds between empty polls (default: $LOCAL_RUNTIME_POLL_INTERVAL or 0.2)",
    )
    parser.add_argument(
        "--receive-wait-seconds",
        type=int,
        choices=range(MAX_RECEIVE_WAIT + 1),
        metavar=f"0..{MAX_RECEIVE_WAIT}",
        default=None,
        help="WaitTimeSeconds of each queue's ReceiveMessage, 0 for short polls "
        "(default: $LOCAL_RUNTIME_RECEIVE_WAIT_SECONDS or 1)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s local_runtime %(levelname)s %(message)s"))
    logger = logging.getLogger("local_runtime")
    logger.addHandler(handler)
    logger.setLevel(args.log_level)
    logger.propagate = False

    stop_signals: list[int] = []

    def on_signal(signum: int, frame: FrameType | None) -> None:
        # Noted in a list, never through a lock: the handler runs in the main thread
        # between two of its bytecodes, maybe while that thread holds a lock. An
        # Event.set() here once waited for ever on the lock of the Event whose wait() the
        # main thread was in: a runtime whose stack was SIGKILLed never ended.
        stop_signals.append(signum)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        runtime = LocalRuntime.from_project(
            args.project_dir,
            args.stage,
            status_interval=args.status_interval,
            poll_interval=args.poll_interval,
            receive_wait=args.receive_wait_seconds,
            history_limit=100,  # the log has every invocation; keep few events in memory
        )
        runtime.start()
    except ConfigError as err:
        print(f"local_runtime: configuration error: {err}", file=sys.stderr)
        return 2
    except Exception as err:
        logger.exception("cannot start")
        print(f"local_runtime: cannot start: {err}", file=sys.stderr)
        return 1
    gc.freeze()
    logger.info("%d objects frozen out of full collections (gc.freeze)", gc.get_freeze_count())
    print(runtime.ready_line(), flush=True)
    try:
        while not stop_signals:
            time.sleep(0.2)  # the loop sees a signal within 0.2 s
    finally:
        logger.info("stopping")
        runtime.stop()
        logger.info("stopped")
    return 0
