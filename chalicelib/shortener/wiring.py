"""The shortener's composition root: its store and service, built once per container."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache

from .service import CodeAllocator, ShortenerService
from .settings import shortener_settings
from .store import DynamoLinkStore

__all__ = ["shortener_service"]


def _utc_now() -> datetime:
    return datetime.now(UTC)


@cache
def shortener_service() -> ShortenerService:
    settings = shortener_settings()
    store = DynamoLinkStore(settings.table)
    return ShortenerService(
        store,
        CodeAllocator(store, settings.code_key, settings.code_block_size),
        clock=_utc_now,
        blocked_hosts=settings.blocked_hosts,
    )
