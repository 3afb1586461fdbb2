"""The client library: how every function of the app (or another service) reads config.

``ConfigProvider`` is a Powertools Parameters ``BaseProvider``: its ``_get`` fetches one
key from a source (the store in process, or the HTTP API) and decrypts a secret with the
caller's own KMS permissions. ``ConfigClient`` puts the cache on top that Powertools'
does not give: a stale value is served at once while one background refresh fetches the
new one (stale-while-revalidate), and the last known good value is kept while the
source fails. Values and errors are never logged with a secret's plaintext.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote

from aws_lambda_powertools.utilities.parameters import BaseProvider
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

from ..observability.logging import logger
from .rules import ConfigNotFound, Entry
from .service import ConfigService, SecretCipher

__all__ = [
    "ConfigClient",
    "ConfigProvider",
    "ConfigSource",
    "ConfigUnavailable",
    "HttpSource",
    "InProcessSource",
    "background_thread",
]

_MISSING: Any = object()


class ConfigUnavailable(Exception):
    """The source failed and no value of the key was ever read."""


class ConfigSource(Protocol):
    def fetch(self, key: str) -> Entry | None:
        """The live entry of ``key``, None if it has none; raise if the source fails."""


class InProcessSource:
    """Reads through the service's store adapter: the way in inside this app."""

    def __init__(self, service: ConfigService) -> None:
        self._service = service

    def fetch(self, key: str) -> Entry | None:
        try:
            return self._service.read(key)
        except ConfigNotFound:
            return None


class HttpSource:
    """Reads ``GET {base_url}/config/{key}`` with an API key: the way in from another service.

    ``session`` is a ``requests.Session`` (or anything with its ``get``).
    """

    def __init__(self, base_url: str, api_key: str, session: Any, timeout: float = 3.0) -> None:
        self._base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._session = session
        self._timeout = timeout

    def fetch(self, key: str) -> Entry | None:
        response = self._session.get(
            f"{self._base_url}/config/{quote(key, safe='')}",
            headers={"x-api-key": self._api_key},
            timeout=self._timeout,
        )
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise RuntimeError(f"GET /config/{key} answered {response.status_code}")
        body = response.json()
        secret = bool(body["secret"])
        value = body["value"] if secret else json.dumps(body["value"])
        return Entry(key, body["version"], value, secret, body["updated_at"], body["updated_by"])


class ConfigProvider(BaseProvider):
    """``_get`` returns ``{"found": bool, "value": <decoded value>}``."""

    def __init__(self, source: ConfigSource, cipher: SecretCipher) -> None:
        super().__init__()
        self._source = source
        self._cipher = cipher

    def _get(self, name: str, **sdk_options: Any) -> dict[str, Any]:
        entry = self._source.fetch(name)
        if entry is None or entry.value is None:
            return {"found": False}
        text = self._cipher.decrypt(name, entry.value).decode() if entry.secret else entry.value
        return {"found": True, "value": json.loads(text), "version": entry.version}

    def _get_multiple(self, path: str, **sdk_options: Any) -> dict[str, str]:
        raise NotImplementedError("read keys one by one: each carries its own version")


@dataclass
class _Cached:
    found: bool
    value: Any
    expires: float
    refreshing: bool = False
    unavailable: bool = False  # never read: the source failed; retried after a TTL


def background_thread(task: Callable[[], None]) -> None:
    """Run ``task`` on a daemon thread. In Lambda a thread is frozen with its container
    between invocations and resumes with the next one: the refresh finishes then."""
    threading.Thread(target=task, name="config-refresh", daemon=True).start()


class ConfigClient:
    def __init__(
        self,
        provider: BaseProvider,
        ttl: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        background: Callable[[Callable[[], None]], None] = background_thread,
    ) -> None:
        self._provider = provider
        self._ttl = ttl
        self._clock = clock
        self._background = background
        self._cache: dict[str, _Cached] = {}
        self._lock = threading.Lock()

    def get(self, key: str, default: Any = _MISSING, *, force_refresh: bool = False) -> Any:
        """The value of ``key``; ``default`` if it has none (``KeyError`` without one).

        Within the TTL from the cache. After it, the cached value at once while a
        background refresh fetches a new one. ``force_refresh`` fetches now, falling back
        to the last known good value if the source fails.
        """
        with self._lock:
            cached = self._cache.get(key)
            stale = cached is not None and self._clock() >= cached.expires
            refresh = stale and cached is not None and not cached.refreshing and not force_refresh
            if refresh and cached is not None:
                cached.refreshing = True
        if refresh:
            self._background(lambda: self._refresh(key))
        if cached is None or force_refresh:
            try:
                cached = self._fetch(key)
            except ConfigUnavailable:
                cached = self._cache[key]
        if cached.found:
            return cached.value
        if default is not _MISSING:
            return default
        raise ConfigUnavailable(key) if cached.unavailable else KeyError(key)

    def _fetch(self, key: str) -> _Cached:
        try:
            got = self._provider.get(key, force_fetch=True)
        except GetParameterError as err:
            cause = err.__context__ or err  # its message may quote the source, never a value
            logger.warning("config read failed", config_key=key, error=type(cause).__name__)
            with self._lock:
                previous = self._cache.get(key)
                if previous is None:  # no caller waits on a failing source again for a TTL
                    self._cache[key] = _Cached(
                        False, None, self._clock() + self._ttl, unavailable=True
                    )
                else:  # keep the last known good, try again after a TTL
                    previous.expires = self._clock() + self._ttl
                    previous.refreshing = False
            raise ConfigUnavailable(key) from None
        assert isinstance(got, dict)
        cached = _Cached(bool(got["found"]), got.get("value"), self._clock() + self._ttl)
        with self._lock:
            self._cache[key] = cached
        return cached

    def _refresh(self, key: str) -> None:
        try:
            self._fetch(key)
        except ConfigUnavailable:
            logger.warning("config refresh failed: last known good value kept", config_key=key)
