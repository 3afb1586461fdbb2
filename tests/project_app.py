"""This project's app.py, loaded with a stage's environment, for Chalice's test client."""

from __future__ import annotations

import importlib.util
import json
from functools import cache
from typing import Any

from devstack.stack import PROJECT_DIR

__all__ = ["load_app", "stage_variables"]


def stage_variables(stage: str = "local") -> dict[str, str]:
    """The variables ``.chalice/config.json`` sets for ``stage``, as Chalice would set them."""
    config = json.loads((PROJECT_DIR / ".chalice" / "config.json").read_text())
    return {**config["environment_variables"], **config["stages"][stage]["environment_variables"]}


@cache
def load_app() -> Any:
    """Import this project's app.py under a name of its own; returns its Chalice app.

    The stage's environment must be set before the first call; other tests load other
    projects' app.py as module "app", so a plain import could find theirs. Loaded once
    per process: Chalice cannot register the same blueprints into a second app.
    """
    spec = importlib.util.spec_from_file_location("yubl_fanout_app", PROJECT_DIR / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.app
