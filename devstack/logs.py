"""Where the local stack writes its logs, and one fresh set of them per run.

``LOCAL_LOG_DIR`` (default ``.local`` in the project) is read here only, so ``make run``
and ``make trace`` always look at the same directory. Each run moves the previous
run's files aside (``stack.log`` -> ``stack.log.1``), so a trace never mixes two runs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

__all__ = ["DEFAULT_LOG_DIR", "STACK_LOG", "keep_previous", "log_dir", "stack_log"]

DEFAULT_LOG_DIR = Path(__file__).resolve().parent.parent / ".local"
STACK_LOG = "stack.log"  # the JSON lines every process of the stack appends to


def log_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """``LOCAL_LOG_DIR`` (relative to the working directory) or the project's ``.local``."""
    return Path(environ.get("LOCAL_LOG_DIR") or DEFAULT_LOG_DIR).resolve()


def stack_log(environ: Mapping[str, str] = os.environ) -> Path:
    """The stack's JSON log: ``LOCAL_LOG_FILE`` if set, else ``stack.log`` in the log dir."""
    given = environ.get("LOCAL_LOG_FILE")
    return Path(given).resolve() if given else log_dir(environ) / STACK_LOG


def keep_previous(path: Path) -> None:
    """Move ``path`` to ``<path>.1`` (replacing an older one), so the next run starts empty."""
    if path.exists():
        path.replace(path.with_name(path.name + ".1"))
