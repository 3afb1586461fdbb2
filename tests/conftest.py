"""Shared fixtures: a real emulator server over HTTP for the tests that need one.

Set ``TEST_AWS_ENDPOINT_URL`` to run the emulator tests against an endpoint of your
choice (LocalStack, a moto server you started); otherwise a moto server is started
on a free port for the session and stopped afterwards.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from devstack.emulator import aws_environment, start_emulator


@pytest.fixture(scope="session")
def emulator_endpoint() -> Iterator[str]:
    """The endpoint URL of a running AWS emulator, with the SDK variables pointing at it."""
    given = os.environ.get("TEST_AWS_ENDPOINT_URL")
    emulator = None
    if given:
        endpoint = given
    else:
        emulator = start_emulator()
        endpoint = emulator.endpoint_url
    saved = dict(os.environ)
    os.environ.update(aws_environment(endpoint))
    try:
        yield endpoint
    finally:
        os.environ.clear()
        os.environ.update(saved)
        if emulator is not None:
            emulator.stop()
