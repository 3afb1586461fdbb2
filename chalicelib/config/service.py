"""The config service's use cases, and the ports its adapters implement. No SDK calls."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from ..domain.errors import InvalidInput
from .rules import (
    ApiKey,
    ConfigNotFound,
    Entry,
    Unauthorized,
    VersionConflict,
    authorize,
    check_expected_version,
    check_key,
    check_prefix,
    check_scopes,
    check_version,
    encode_value,
    readable_prefix,
)

__all__ = [
    "ApiKeyService",
    "ApiKeyStore",
    "ConfigService",
    "ConfigStore",
    "HeadMoved",
    "SecretCipher",
    "hash_api_key",
]


class HeadMoved(Exception):
    """The store's current version is no longer the one the write was based on."""


class ConfigStore(Protocol):
    def head(self, key: str) -> Entry | None:
        """The latest version of ``key`` (a deletion included), or None if it never existed."""

    def version(self, key: str, version: int) -> Entry | None: ...

    def history(self, key: str) -> list[Entry]:
        """Every version, oldest first."""

    def append(self, entry: Entry, previous: int) -> None:
        """Write ``entry`` as the new latest version if the latest is still ``previous``
        (0: none), atomically; raise ``HeadMoved`` otherwise."""

    def page(self, prefix: str, limit: int, cursor: str | None) -> tuple[list[Entry], str | None]:
        """Live (not deleted) keys starting with ``prefix``, by key, one page."""


class SecretCipher(Protocol):
    def encrypt(self, key: str, plaintext: bytes) -> str:
        """Ciphertext text that decrypts only under the same config ``key``."""

    def decrypt(self, key: str, ciphertext: str) -> bytes: ...


class ApiKeyStore(Protocol):
    def put(self, api_key: ApiKey, key_hash: str) -> None: ...

    def get(self, key_id: str) -> tuple[ApiKey, str] | None: ...

    def all(self) -> list[ApiKey]: ...

    def revoke(self, key_id: str) -> bool: ...


_WRITE_ATTEMPTS = 3  # a write without expected_version re-reads the head after a race


class ConfigService:
    def __init__(
        self, store: ConfigStore, cipher: SecretCipher, clock: Callable[[], datetime]
    ) -> None:
        self._store = store
        self._cipher = cipher
        self._clock = clock

    def put(
        self, caller: ApiKey, key: str, value: Any, secret: Any, expected_version: Any
    ) -> Entry:
        check_key(key)
        authorize(caller, "write", key)
        if not isinstance(secret, bool):
            raise InvalidInput("secret", "must be true or false")
        expected = check_expected_version(expected_version)
        text = encode_value(value)
        stored = self._cipher.encrypt(key, text.encode()) if secret else text
        return self._write(caller, key, stored, secret, expected)

    def read(self, key: str, version: int | None = None) -> Entry:
        """A live version of ``key``, with no caller: the in-process client's way in."""
        entry = self._store.head(key) if version is None else self._store.version(key, version)
        if entry is None or entry.deleted:
            at = "" if version is None else f" at version {version}"
            raise ConfigNotFound(f"key: {key} has no value{at}")
        return entry

    def get(self, caller: ApiKey, key: str, version: str | None) -> Entry:
        check_key(key)
        authorize(caller, "read", key)
        return self.read(key, None if version is None else check_version(version))

    def list_keys(
        self, caller: ApiKey, prefix: str, limit: int, cursor: str | None
    ) -> tuple[list[Entry], str | None]:
        allowed = readable_prefix(caller, check_prefix(prefix))
        if allowed is None:
            return [], None
        return self._store.page(allowed, limit, cursor)

    def history(self, caller: ApiKey, key: str) -> list[Entry]:
        check_key(key)
        authorize(caller, "read", key)
        versions = self._store.history(key)
        if not versions:
            raise ConfigNotFound(f"key: {key} has no history")
        return versions

    def rollback(self, caller: ApiKey, key: str, version: Any) -> Entry:
        """Write an older version forward as a new one (a secret stays encrypted as it was)."""
        check_key(key)
        authorize(caller, "write", key)
        old = self.read(key, check_version(version))
        return self._write(caller, key, old.value, old.secret, None)

    def delete(self, caller: ApiKey, key: str) -> Entry:
        check_key(key)
        authorize(caller, "write", key)
        return self._write(caller, key, None, False, None, deleted=True)

    def _write(
        self,
        caller: ApiKey,
        key: str,
        value: str | None,
        secret: bool,
        expected: int | None,
        deleted: bool = False,
    ) -> Entry:
        for attempt in range(1, _WRITE_ATTEMPTS + 1):
            head = self._store.head(key)
            latest = 0 if head is None else head.version
            current = 0 if head is None or head.deleted else head.version
            if deleted and current == 0:
                raise ConfigNotFound(f"key: {key} has no value")
            if expected is not None and expected != current:
                raise VersionConflict(key, expected, current)
            entry = Entry(
                key=key,
                version=latest + 1,
                value=value,
                secret=secret,
                updated_at=self._clock().isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                updated_by=caller.key_id,
                deleted=deleted,
            )
            try:
                self._store.append(entry, previous=latest)
                return entry
            except HeadMoved:
                if expected is not None or attempt == _WRITE_ATTEMPTS:
                    moved = self._store.head(key)
                    now = 0 if moved is None or moved.deleted else moved.version
                    raise VersionConflict(
                        key, current if expected is None else expected, now
                    ) from None
        raise AssertionError("unreachable")


def hash_api_key(secret: str) -> str:
    """SHA-256 of the key: enough for 256-bit random keys, which no dictionary can guess,
    and fast enough to check on every request (a password hash would not be)."""
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiKeyService:
    """API keys are ``<key_id>.<secret>``; only the hash of the whole key is stored."""

    def __init__(self, store: ApiKeyStore, clock: Callable[[], datetime]) -> None:
        self._store = store
        self._clock = clock

    def create(self, scopes: Any, prefix: Any, description: str = "") -> tuple[ApiKey, str]:
        api_key = ApiKey(
            key_id=secrets.token_hex(6),
            scopes=check_scopes(scopes),
            prefix=check_prefix(prefix),
            created_at=self._clock().isoformat(timespec="seconds").replace("+00:00", "Z"),
            description=description,
        )
        value = f"{api_key.key_id}.{secrets.token_urlsafe(32)}"
        self._store.put(api_key, hash_api_key(value))
        return api_key, value

    def all_keys(self) -> list[ApiKey]:
        return sorted(self._store.all(), key=lambda k: (k.created_at, k.key_id))

    def revoke(self, key_id: str) -> None:
        if not self._store.revoke(key_id):
            raise ConfigNotFound(f"key_id: no API key {key_id}")

    def authenticate(self, value: str | None) -> ApiKey:
        if not value:
            raise Unauthorized("x-api-key: missing")
        key_id, _, _ = value.partition(".")
        found = self._store.get(key_id) if key_id.isalnum() and len(key_id) <= 64 else None
        if found is None or not hmac.compare_digest(found[1], hash_api_key(value)):
            raise Unauthorized("x-api-key: not a valid API key")
        if found[0].revoked:
            raise Unauthorized("x-api-key: this API key was revoked")
        return found[0]
