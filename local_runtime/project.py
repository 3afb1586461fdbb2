"""Load a Chalice project as Lambda would run it: the stage's environment first, then app.py.

Chalice reads decorator arguments (stream and topic names) at import time, so the
stage's ``environment_variables`` must be in ``os.environ`` before ``app.py`` runs.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
from collections.abc import MutableMapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from chalice import Chalice
from chalice.cli.factory import CLIFactory
from chalice.config import Config

from local_runtime.config import ConfigError, parse_reserved_concurrency

__all__ = ["Project", "load_project"]

log = logging.getLogger("local_runtime")


@dataclass(frozen=True)
class Project:
    """A loaded Chalice app and the stage configuration it was loaded with."""

    project_dir: Path
    stage: str
    app_name: str
    app: Chalice
    module: ModuleType
    config: Config

    def function_config(self, function: str) -> dict[str, Any]:
        stages = self.config.config_from_disk.get("stages", {})
        functions = stages.get(self.stage, {}).get("lambda_functions", {})
        found = functions.get(function, {})
        return found if isinstance(found, dict) else {}

    def event_sources(self) -> dict[str, dict[str, Any]]:
        """``stages.<stage>.lambda_functions.<function>.event_source`` for every function."""
        return self._per_function("event_source")

    def local_rules(self) -> dict[str, Any]:
        """``...<function>.local_runtime``: settings only the local runtime reads
        (``local_runtime/yielding.py``); Chalice and the deployed stages ignore them."""
        return self._per_function("local_runtime")

    def _per_function(self, key: str) -> dict[str, Any]:
        stages = self.config.config_from_disk.get("stages", {})
        functions = stages.get(self.stage, {}).get("lambda_functions", {})
        return {
            name: value[key]
            for name, value in functions.items()
            if isinstance(value, dict) and key in value
        }

    def role_arn(self, function: str) -> str | None:
        """``iam_role_arn`` when the project manages its own role (``manage_iam_role: false``)."""
        scoped = self.config.scope(self.stage, function)
        if scoped.manage_iam_role:
            return None
        return str(scoped.iam_role_arn) if scoped.iam_role_arn else None

    def reserved_concurrency(self, function: str) -> int | None:
        """``reserved_concurrency`` of the function in this stage (Chalice's lookup order)."""
        value = self.config.scope(self.stage, function).reserved_concurrency
        return parse_reserved_concurrency(function, value)

    def timeout_and_memory(self, function: str) -> tuple[int, int]:
        scoped = self.config.scope(self.stage, function)
        return int(scoped.lambda_timeout or 60), int(scoped.lambda_memory_size or 128)


def _stage_environment(config: Config, stage: str) -> dict[str, str]:
    """Stage variables, plus every function's own ones (one process runs them all)."""
    env = dict(config.environment_variables)
    functions = config.config_from_disk.get("stages", {}).get(stage, {}).get("lambda_functions", {})
    for name in functions:
        for key, value in config.scope(stage, name).environment_variables.items():
            if key in env and env[key] != value:
                log.warning(
                    "%s sets %s=%r but another function has %r; one process holds one value",
                    name,
                    key,
                    value,
                    env[key],
                )
            env.setdefault(key, value)
    return env


def _import_app(project_dir: Path) -> ModuleType:
    path = project_dir / "app.py"
    if not path.is_file():
        raise ConfigError(f"{project_dir} has no app.py")
    for entry in (str(project_dir), str(project_dir / "vendor")):
        if entry not in sys.path and (entry == str(project_dir) or Path(entry).is_dir()):
            sys.path.insert(0, entry) if entry == str(project_dir) else sys.path.append(entry)
    spec = importlib.util.spec_from_file_location("app", path)
    if spec is None or spec.loader is None:
        raise ConfigError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["app"] = module  # Lambda imports it as "app"; handler strings say app.<name>
    spec.loader.exec_module(module)
    return module


def load_project(
    project_dir: str | Path, stage: str, environ: MutableMapping[str, str] | None = None
) -> Project:
    """Set the stage's environment in ``environ`` (default ``os.environ``), import app.py."""
    project_dir = Path(project_dir).resolve()
    environ = os.environ if environ is None else environ
    factory = CLIFactory(str(project_dir), environ=environ)
    try:
        config = factory.create_config_obj(chalice_stage_name=stage)
    except RuntimeError as err:
        raise ConfigError(str(err)) from None
    if stage not in config.config_from_disk.get("stages", {}):
        raise ConfigError(f"{project_dir}/.chalice/config.json has no stage {stage!r}")
    environ.update(_stage_environment(config, stage))
    module = _import_app(project_dir)
    app = getattr(module, "app", None)
    if not isinstance(app, Chalice):
        raise ConfigError(f"{project_dir}/app.py defines no Chalice object named app")
    return Project(
        project_dir=project_dir,
        stage=stage,
        app_name=str(config.config_from_disk.get("app_name", app.app_name)),
        app=app,
        module=module,
        config=config,
    )
