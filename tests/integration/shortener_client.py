"""Chalice's test client of the app, with extra shortener settings in the environment."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from chalice.test import Client

from chalicelib.shortener import wiring
from chalicelib.shortener.settings import shortener_settings
from devstack.stack import PROJECT_DIR
from tests.chalice_app import load_app

__all__ = ["shortener_client"]


@contextmanager
def shortener_client(extra: Mapping[str, str]) -> Iterator[Client]:
    """The client, with ``extra`` set and the shortener's cached settings and service
    rebuilt from it; both put back afterwards."""
    os.environ.update(extra)
    shortener_settings.cache_clear()
    wiring.shortener_service.cache_clear()
    try:
        with Client(load_app(), stage_name="local", project_dir=str(PROJECT_DIR)) as test_client:
            yield test_client
    finally:
        for name in extra:
            os.environ.pop(name, None)
        shortener_settings.cache_clear()
        wiring.shortener_service.cache_clear()
