"""Integration fixtures: the real infrastructure template deployed on the emulator."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator

import boto3
import pytest

from devstack.infra import deploy_stack
from devstack.stack import PROJECT_DIR, check_stage_settings

STAGE = "local"


@pytest.fixture(scope="session")
def stack_outputs(emulator_endpoint: str) -> dict[str, str]:
    """Deploy infra/resources.yaml for the local stage; the outputs by key."""
    outputs = deploy_stack(
        boto3.client("cloudformation"), STAGE, sns=boto3.client("sns"), sqs=boto3.client("sqs")
    )
    check_stage_settings(outputs, STAGE, PROJECT_DIR)
    return outputs


@pytest.fixture(scope="session")
def stage_environment(stack_outputs: dict[str, str]) -> Iterator[dict[str, str]]:
    """The local stage's variables from .chalice/config.json, set as Chalice would set them."""
    config = json.loads((PROJECT_DIR / ".chalice" / "config.json").read_text())
    env = {**config["environment_variables"], **config["stages"][STAGE]["environment_variables"]}
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        yield env
    finally:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture
def unique() -> str:
    """A fresh id prefix, so tests sharing tables never see each other's rows."""
    return uuid.uuid4().hex[:10]
