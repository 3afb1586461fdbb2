"""The config service over its in-memory twins."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.config.crypto import KmsEnvelopeCipher
from chalicelib.config.memory import MemoryApiKeyStore, MemoryConfigStore, MemoryKms
from chalicelib.config.rules import ApiKey
from chalicelib.config.service import ApiKeyService, ConfigService

NOW = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
def store() -> MemoryConfigStore:
    return MemoryConfigStore()


@pytest.fixture
def kms() -> MemoryKms:
    return MemoryKms()


@pytest.fixture
def cipher(kms) -> KmsEnvelopeCipher:
    return KmsEnvelopeCipher(kms, "alias/test")


@pytest.fixture
def service(store, cipher) -> ConfigService:
    return ConfigService(store, cipher, clock=lambda: NOW)


@pytest.fixture
def api_keys() -> ApiKeyService:
    return ApiKeyService(MemoryApiKeyStore(), clock=lambda: NOW)


ADMIN = ApiKey("admin", frozenset({"read", "write"}), "")
