"""Packaged templates of the dev and prod stages, built once per test session.

Packaging runs with no AWS variables and no AWS config or credentials files: a package
must be buildable on a machine that has never seen an AWS account.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from deploy.package import package_stage

PROJECT_DIR = Path(__file__).resolve().parents[2]
PACKAGED_STAGES = ("dev", "prod")


def offline_environment() -> dict[str, str]:
    """This process's environment with every AWS setting removed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull})
    return env


@pytest.fixture(scope="session")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Stage -> folder of ``make package``'s output for that stage."""
    root = tmp_path_factory.mktemp("packaged")
    return {
        stage: package_stage(PROJECT_DIR, stage, root / stage, offline_environment())
        for stage in PACKAGED_STAGES
    }


@pytest.fixture(scope="session")
def config() -> dict[str, Any]:
    return json.loads((PROJECT_DIR / ".chalice" / "config.json").read_text())  # type: ignore[no-any-return]
