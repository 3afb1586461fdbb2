"""Packaged templates of the dev and prod stages, built once per test session.

Packaging runs with no AWS variables and no AWS config or credentials files: a package
must be buildable on a machine that has never seen an AWS account.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from deploy.package import package_stage

PROJECT_DIR = Path(__file__).resolve().parents[2]
PACKAGED_STAGES = ("dev", "prod")
PROJECT_FILES = ("app.py", "chalicelib", ".chalice", "infra", "requirements.txt")
# dev with every optional deploy setting on: an enhanced fan-out consumer, a custom domain
VARIANT_SETTINGS = {
    "stream_consumer_name": "distribute-yubl-dev",
    "api_gateway_custom_domain": {
        "domain_name": "go.example.com",
        "certificate_arn": "arn:aws:acm:us-east-1:111122223333:certificate/"
        "0c1a2b3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
    },
}


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


def copy_project(target: Path) -> Path:
    """A copy of the project to package or deploy from; Chalice's package cache kept."""
    for name in PROJECT_FILES:
        source = PROJECT_DIR / name
        if source.is_dir():
            shutil.copytree(
                source,
                target / name,
                ignore=shutil.ignore_patterns("__pycache__", "deployed"),
            )
        else:
            shutil.copy(source, target / name)
    return target


@pytest.fixture(scope="session")
def packaged_variant(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``make package``'s output for dev with ``VARIANT_SETTINGS`` added to the stage."""
    project = copy_project(tmp_path_factory.mktemp("variant-project"))
    path = project / ".chalice" / "config.json"
    config = json.loads(path.read_text())
    config["stages"]["dev"].update(VARIANT_SETTINGS)
    path.write_text(json.dumps(config, indent=2))
    out = tmp_path_factory.mktemp("variant") / "dev"
    return package_stage(project, "dev", out, offline_environment())


@pytest.fixture(scope="session")
def config() -> dict[str, Any]:
    return json.loads((PROJECT_DIR / ".chalice" / "config.json").read_text())  # type: ignore[no-any-return]
