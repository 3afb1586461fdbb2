"""The shortener's settings, read from the environment on first use by a shortener route.

Kept apart from the fan-out's ``Settings`` so that the shortener's functions need none
of the fan-out's resources, and the other functions none of the shortener's.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from urllib.parse import urlsplit

from ..settings import SettingsError
from ..settings_catalog import declared, read_int, read_required, read_text

__all__ = ["ShortenerSettings", "shortener_settings"]

_REDIRECT_STATUSES = (301, 302, 307, 308)
_DEFAULT_AASA = '{"applinks": {"details": []}}'


@dataclass(frozen=True)
class ShortenerSettings:
    table: str
    code_key: bytes
    base_url: str | None = None  # e.g. https://yu.bl; None: from the request's host
    code_block_size: int = 100
    redirect_status: int = 308
    redirect_max_age: int = 300
    blocked_hosts: frozenset[str] = frozenset()
    apple_app_site_association: str = _DEFAULT_AASA  # compact JSON, served as is

    @classmethod
    def from_environ(cls, env: Mapping[str, str] | None = None) -> ShortenerSettings:
        env = os.environ if env is None else env
        table = read_required(env, "SHORT_LINKS_TABLE", SettingsError)
        key = env.get("SHORTENER_CODE_KEY", "")  # as given: spaces count
        if len(key) < 16:
            raise SettingsError("SHORTENER_CODE_KEY must be at least 16 characters")
        status = read_int(env, "SHORTENER_REDIRECT_STATUS", SettingsError)
        if str(status) not in declared("SHORTENER_REDIRECT_STATUS").choices:
            raise SettingsError(f"SHORTENER_REDIRECT_STATUS must be one of {_REDIRECT_STATUSES}")
        return cls(
            table=table,
            code_key=key.encode(),
            base_url=_base_url(read_text(env, "SHORTENER_BASE_URL")),
            code_block_size=read_int(env, "SHORTENER_CODE_BLOCK_SIZE", SettingsError),
            redirect_status=status,
            redirect_max_age=read_int(env, "SHORTENER_REDIRECT_MAX_AGE", SettingsError),
            blocked_hosts=frozenset(
                h.strip().lower().rstrip(".")
                for h in read_text(env, "SHORTENER_BLOCKED_HOSTS").split(",")
                if h.strip()
            ),
            apple_app_site_association=_aasa(read_text(env, "APPLE_APP_SITE_ASSOCIATION")),
        )


def _base_url(raw: str) -> str | None:
    raw = raw.strip().rstrip("/")
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(f"SHORTENER_BASE_URL must be an http(s) URL, got {raw!r}")
    return raw


def _aasa(raw: str) -> str:
    try:
        document = json.loads(raw)
    except ValueError:
        raise SettingsError("APPLE_APP_SITE_ASSOCIATION must be a JSON object") from None
    if not isinstance(document, dict):
        raise SettingsError("APPLE_APP_SITE_ASSOCIATION must be a JSON object")
    return json.dumps(document, separators=(",", ":"))


@cache
def shortener_settings() -> ShortenerSettings:
    return ShortenerSettings.from_environ()
