"""The config service's settings, read from the environment once per container.

Names per stage come from ``.chalice/config.json``. ``CONFIG_SERVICE_URL`` and
``CONFIG_API_KEY`` are for a service outside this app: with them set, the client reads
the HTTP API instead of the table.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from ..settings_catalog import read_flag, read_float, read_required, read_text

__all__ = ["ConfigSettings", "ConfigSettingsError", "config_settings", "route_guards"]


class ConfigSettingsError(RuntimeError):
    """A config service variable is missing or unusable."""


def _required(env: Mapping[str, str], name: str) -> str:
    return read_required(env, name, ConfigSettingsError)


def _flag(env: Mapping[str, str], name: str) -> bool:
    return read_flag(env, name, ConfigSettingsError)


@dataclass(frozen=True)
class ConfigSettings:
    table: str
    api_keys_table: str
    kms_key: str
    cache_ttl_seconds: float = 60.0
    service_url: str = ""
    api_key: str = ""
    gateway_api_keys: bool = False
    iam_auth_on_writes: bool = False

    @classmethod
    def from_environ(cls, env: Mapping[str, str] | None = None) -> ConfigSettings:
        env = os.environ if env is None else env
        service_url = read_text(env, "CONFIG_SERVICE_URL")
        return cls(
            table=_required(env, "CONFIG_TABLE"),
            api_keys_table=_required(env, "CONFIG_API_KEYS_TABLE"),
            kms_key=_required(env, "CONFIG_KMS_KEY"),
            cache_ttl_seconds=read_float(env, "CONFIG_CACHE_TTL_SECONDS", ConfigSettingsError),
            service_url=service_url,
            api_key=_required(env, "CONFIG_API_KEY") if service_url else "",
            gateway_api_keys=_flag(env, "CONFIG_GATEWAY_API_KEYS"),
            iam_auth_on_writes=_flag(env, "CONFIG_IAM_AUTH_ON_WRITES"),
        )


@cache
def config_settings() -> ConfigSettings:
    return ConfigSettings.from_environ()


def route_guards(env: Mapping[str, str] | None = None) -> tuple[bool, bool]:
    """(API Gateway API keys on every route, IAM auth on the write routes), for the route
    decorators, which Chalice reads at import time: only these two variables are read."""
    env = os.environ if env is None else env
    return _flag(env, "CONFIG_GATEWAY_API_KEYS"), _flag(env, "CONFIG_IAM_AUTH_ON_WRITES")
