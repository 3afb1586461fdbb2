"""Fixtures of the unit tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devstack import (
    emulator_speedups,
    item_speedups,
    request_speedups,
    sqs_speedups,
    value_speedups,
)


@pytest.fixture
def moto_own_code() -> Iterator[None]:
    """moto's own code at the start (a test installs the speed-ups it compares with it),
    and afterwards the speed-ups as the test found them."""
    modules = (emulator_speedups, item_speedups, request_speedups, sqs_speedups, value_speedups)
    were = [module.installed() for module in modules]
    for module in modules:
        module.uninstall()
    yield
    for module, was in zip(modules, were, strict=True):
        module.uninstall()
        if was:
            module.install()
