"""The version rule: a record may say which version of the contract it was written to
(``"schema_version": "MAJOR.MINOR"``); a record that says nothing is 1.0, the format
every record had before versions existed, so today's records keep working unchanged.

A minor version only adds optional fields; a reader of an older minor ignores them. A
major version is a change older readers cannot read: the dispatcher refuses a major it
does not know, and the record goes to the dead-letter queue with that reason (re-drive
it once a dispatcher that reads it is deployed).
"""

from __future__ import annotations

import re
from typing import Any

from ..domain.errors import InvalidInput

__all__ = ["SUPPORTED_MAJOR", "VERSION_FIELD", "check_version"]

VERSION_FIELD = "schema_version"
SUPPORTED_MAJOR = 1
_VERSION = re.compile(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)")


def check_version(record: dict[str, Any]) -> tuple[int, int]:
    """The record's (major, minor); ``InvalidInput`` naming the field for a garbled
    version or a major version this dispatcher does not read."""
    given = record.get(VERSION_FIELD, "1.0")
    if not isinstance(given, str) or not _VERSION.fullmatch(given):
        raise InvalidInput(VERSION_FIELD, f"must be MAJOR.MINOR like '1.0', got {given!r:.40}")
    major, minor = (int(part) for part in given.split("."))
    if major != SUPPORTED_MAJOR:
        raise InvalidInput(
            VERSION_FIELD,
            f"major version {major} is unknown to this dispatcher (it reads "
            f"{SUPPORTED_MAJOR}.x): deploy a dispatcher that reads {given}, then re-drive",
        )
    return major, minor
