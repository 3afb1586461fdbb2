"""The config service's composition root: adapters and services, built lazily once per
container. The app's own ``chalicelib.wiring`` reaches the client through ``client()``."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

import requests

from ..adapters.sdk_session import client as shared_client
from ..adapters.sdk_session import share_session
from .client import ConfigClient, ConfigProvider, ConfigSource, HttpSource, InProcessSource
from .crypto import KmsEnvelopeCipher
from .service import ApiKeyService, ConfigService
from .settings import config_settings
from .store import DynamoApiKeyStore, DynamoConfigStore, bind_api_key_model, bind_config_model

__all__ = ["api_key_service", "cipher", "client", "config_service"]


def _utc_now() -> datetime:
    return datetime.now(UTC)


@cache
def _kms() -> Any:
    return shared_client("kms")


@cache
def cipher() -> KmsEnvelopeCipher:
    return KmsEnvelopeCipher(_kms(), config_settings().kms_key)


@cache
def config_service() -> ConfigService:
    store = DynamoConfigStore(share_session(bind_config_model(config_settings().table)))
    return ConfigService(store, cipher(), clock=_utc_now)


@cache
def api_key_service() -> ApiKeyService:
    store = DynamoApiKeyStore(share_session(bind_api_key_model(config_settings().api_keys_table)))
    return ApiKeyService(store, clock=_utc_now)


@cache
def client() -> ConfigClient:
    settings = config_settings()
    source: ConfigSource
    if settings.service_url:
        source = HttpSource(settings.service_url, settings.api_key, requests.Session())
    else:
        source = InProcessSource(config_service())
    return ConfigClient(ConfigProvider(source, cipher()), ttl=settings.cache_ttl_seconds)
