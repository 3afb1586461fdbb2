"""The config service's rules: key names, values, versions, API key scopes. No SDK."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from ..domain.errors import DomainError, InvalidInput

__all__ = [
    "MAX_VALUE_BYTES",
    "SCOPES",
    "ApiKey",
    "ConfigNotFound",
    "Entry",
    "Forbidden",
    "Unauthorized",
    "VersionConflict",
    "authorize",
    "check_expected_version",
    "check_key",
    "check_prefix",
    "check_scopes",
    "check_version",
    "encode_value",
    "readable_prefix",
]

MAX_VALUE_BYTES = 64 * 1024
SCOPES = frozenset({"read", "write"})
_KEY = re.compile(r"[A-Za-z0-9._-]{1,256}")
_PREFIX = re.compile(r"[A-Za-z0-9._-]{0,256}")


class Unauthorized(DomainError):
    """No API key, or one that is unknown or revoked (401)."""


class Forbidden(DomainError):
    """A valid API key acting outside its scopes or key prefix (403)."""


class ConfigNotFound(DomainError):
    """The key, or the version asked for, does not exist (404)."""


class VersionConflict(DomainError):
    """``expected_version`` is not the key's current version (409)."""

    def __init__(self, key: str, expected: int, current: int) -> None:
        super().__init__(f"expected_version: {key} is at version {current}, not {expected}")
        self.current = current


@dataclass(frozen=True)
class Entry:
    """One version of a key. ``value`` is JSON text, or a secret's envelope ciphertext."""

    key: str
    version: int
    value: str | None
    secret: bool
    updated_at: str
    updated_by: str
    deleted: bool = False


@dataclass(frozen=True)
class ApiKey:
    """What a caller's API key may do: ``scopes`` on keys that start with ``prefix``."""

    key_id: str
    scopes: frozenset[str]
    prefix: str
    created_at: str = ""
    revoked: bool = False
    description: str = field(default="", compare=False)


def check_key(value: Any, field_name: str = "key") -> str:
    if not isinstance(value, str) or not _KEY.fullmatch(value):
        raise InvalidInput(field_name, "must be 1-256 characters of A-Z, a-z, 0-9, '.', '_', '-'")
    if value.startswith(".") or value.endswith(".") or ".." in value:
        raise InvalidInput(field_name, "must not start or end with '.' or hold an empty level")
    return value


def check_prefix(value: Any, field_name: str = "prefix") -> str:
    if not isinstance(value, str) or not _PREFIX.fullmatch(value):
        raise InvalidInput(field_name, "must be 0-256 characters of A-Z, a-z, 0-9, '.', '_', '-'")
    return value


def check_scopes(value: Any) -> frozenset[str]:
    names = value.split(",") if isinstance(value, str) else value
    if not isinstance(names, list | tuple | frozenset | set) or not names:
        raise InvalidInput("scopes", "must name read, write or both")
    scopes = frozenset(str(n).strip() for n in names)
    if not scopes or not scopes <= SCOPES:
        raise InvalidInput("scopes", "must name read, write or both")
    return scopes


def _non_negative_int(field_name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise InvalidInput(field_name, f"must be an integer of at least {low}")
    return value


def check_expected_version(value: Any) -> int | None:
    return None if value is None else _non_negative_int("expected_version", value, 0)


def check_version(value: Any) -> int:
    """A version as a JSON number or a query string."""
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,12}", value):
        value = int(value)
    return _non_negative_int("version", value, 1)


def encode_value(value: Any) -> str:
    """The value as compact JSON text, at most ``MAX_VALUE_BYTES`` bytes."""
    try:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        raise InvalidInput("value", "must be JSON") from None
    if len(text.encode()) > MAX_VALUE_BYTES:
        raise InvalidInput("value", f"must be at most {MAX_VALUE_BYTES} bytes of JSON")
    return text


def authorize(caller: ApiKey, scope: str, key: str) -> None:
    """Raise ``Forbidden`` unless ``caller`` holds ``scope`` on ``key``.

    The prefix is a plain string prefix, as in S3 and IAM: ``fanout.`` covers every key
    one level under ``fanout``, ``fanout`` also covers ``fanout2``; ``""`` covers all.
    """
    if scope not in caller.scopes:
        raise Forbidden(f"x-api-key: this key has no {scope} scope")
    if not key.startswith(caller.prefix):
        raise Forbidden(f"key: outside the prefix {caller.prefix!r} of this API key")


def readable_prefix(caller: ApiKey, asked: str) -> str | None:
    """The prefix to list so only keys ``caller`` may read come back; None if none can."""
    if "read" not in caller.scopes:
        raise Forbidden("x-api-key: this key has no read scope")
    if asked.startswith(caller.prefix):
        return asked
    if caller.prefix.startswith(asked):
        return caller.prefix
    return None
