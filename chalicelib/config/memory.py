"""In-memory twins of the config service's ports, for unit tests.

``MemoryKms`` stands in for the two KMS calls the cipher makes, with KMS's rule that a
data key decrypts only under the encryption context it was made with.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import replace
from typing import Any

from botocore.exceptions import ClientError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..adapters.cursors import decode_cursor, encode_cursor
from .rules import ApiKey, Entry
from .service import HeadMoved

__all__ = ["MemoryApiKeyStore", "MemoryConfigStore", "MemoryKms", "StoreDown"]


class StoreDown(Exception):
    """Raised by a twin switched to ``down``: the store is unreachable."""


class MemoryConfigStore:
    def __init__(self) -> None:
        self.versions: dict[str, list[Entry]] = {}
        self.calls = 0  # reads and writes, so tests can count them
        self.down = False
        self._lock = threading.Lock()

    def _call(self) -> None:
        self.calls += 1
        if self.down:
            raise StoreDown("the config store is unreachable")

    def head(self, key: str) -> Entry | None:
        self._call()
        versions = self.versions.get(key)
        return versions[-1] if versions else None

    def version(self, key: str, version: int) -> Entry | None:
        self._call()
        versions = self.versions.get(key, [])
        return versions[version - 1] if 1 <= version <= len(versions) else None

    def history(self, key: str) -> list[Entry]:
        self._call()
        return list(self.versions.get(key, []))

    def append(self, entry: Entry, previous: int) -> None:
        self._call()
        with self._lock:
            versions = self.versions.setdefault(entry.key, [])
            if len(versions) != previous:
                raise HeadMoved(entry.key)
            versions.append(entry)

    def page(self, prefix: str, limit: int, cursor: str | None) -> tuple[list[Entry], str | None]:
        self._call()
        after = decode_cursor(cursor) or ""
        live = sorted(
            (v[-1] for k, v in self.versions.items() if k.startswith(prefix) and k > after),
            key=lambda e: e.key,
        )
        live = [e for e in live if not e.deleted]
        page = live[:limit]
        return page, encode_cursor(page[-1].key) if len(live) > limit else None


class MemoryApiKeyStore:
    def __init__(self) -> None:
        self.items: dict[str, tuple[ApiKey, str]] = {}

    def put(self, api_key: ApiKey, key_hash: str) -> None:
        self.items[api_key.key_id] = (api_key, key_hash)

    def get(self, key_id: str) -> tuple[ApiKey, str] | None:
        return self.items.get(key_id)

    def all(self) -> list[ApiKey]:
        return [api_key for api_key, _ in self.items.values()]

    def revoke(self, key_id: str) -> bool:
        if key_id not in self.items:
            return False
        api_key, key_hash = self.items[key_id]
        self.items[key_id] = (replace(api_key, revoked=True), key_hash)
        return True


def _refused() -> ClientError:
    error = {"Error": {"Code": "InvalidCiphertextException", "Message": "refused"}}
    return ClientError(error, "Decrypt")


class MemoryKms:
    """``generate_data_key`` and ``decrypt`` with a master key that never leaves here."""

    def __init__(self) -> None:
        self._master = AESGCM(AESGCM.generate_key(bit_length=256))
        self.decrypts = 0

    def generate_data_key(
        self, KeyId: str, KeySpec: str, EncryptionContext: dict[str, str]
    ) -> dict[str, Any]:
        data_key = os.urandom(32)
        nonce = os.urandom(12)
        context = json.dumps(EncryptionContext, sort_keys=True).encode()
        blob = nonce + self._master.encrypt(nonce, data_key, context)
        return {"Plaintext": data_key, "CiphertextBlob": blob, "KeyId": KeyId}

    def decrypt(self, CiphertextBlob: bytes, EncryptionContext: dict[str, str]) -> dict[str, Any]:
        self.decrypts += 1
        context = json.dumps(EncryptionContext, sort_keys=True).encode()
        try:
            plaintext = self._master.decrypt(CiphertextBlob[:12], CiphertextBlob[12:], context)
        except (InvalidTag, ValueError):
            raise _refused() from None
        return {"Plaintext": plaintext}
