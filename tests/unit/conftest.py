"""Fixtures of the unit tests."""

from __future__ import annotations

import importlib
from collections.abc import Iterator

import pytest

# the emulator's changes to moto that the unit tests compare with moto's own code
SPEEDUPS = ("batch_get", "emulator", "item", "query", "request", "result", "sns", "sqs", "value")


@pytest.fixture
def moto_own_code() -> Iterator[None]:
    """moto's own code at the start (a test installs the speed-ups it compares with it),
    and afterwards the speed-ups as the test found them."""
    modules = [importlib.import_module(f"devstack.{name}_speedups") for name in SPEEDUPS]
    were = [module.installed() for module in modules]
    for module in modules:
        module.uninstall()
    yield
    for module, was in zip(modules, were, strict=True):
        module.uninstall()
        if was:
            module.install()
