"""Where JSON lines go: standard output always, and the local log file when set.

Lambda ships standard output to CloudWatch Logs, which also extracts EMF metrics
from it. Locally every process of the stack appends to one file (``LOCAL_LOG_FILE``)
so that one correlation id can be followed across functions. Each line is written
with a single ``os.write`` on an ``O_APPEND`` descriptor: lines from concurrent
processes do not interleave.
"""

from __future__ import annotations

import os
import sys

__all__ = ["write_line"]


def write_line(line: str) -> None:
    """Write one line (without its newline) to stdout and, when set, LOCAL_LOG_FILE.

    The variable is read per line, not at import: the local stack and the tests set
    it after this package may already have been imported.
    """
    stream = sys.stdout
    stream.write(line + "\n")
    stream.flush()
    path = os.environ.get("LOCAL_LOG_FILE", "").strip()
    if path:
        _append(path, line)


def _append(path: str, line: str) -> None:
    directory = os.path.dirname(path)
    if directory:
        os.makedirs(directory, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (line + "\n").encode("utf-8"))
    finally:
        os.close(fd)
