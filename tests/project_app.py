"""This project's Chalice app, loaded once per test session for the Chalice test client."""

from __future__ import annotations

import importlib.util
import sys
from typing import Any

from devstack.stack import PROJECT_DIR

__all__ = ["load_project_app"]


def load_project_app() -> Any:
    """This project's app.py under a name of its own, imported once per session.

    The stage's environment must be set before the import; other tests load other
    projects' app.py as module "app", so a plain import could find theirs. Chalice
    blueprints cannot be registered on a second app, hence once.
    """
    name = "yubl_fanout_app"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, PROJECT_DIR / "app.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules[name] = module
    return sys.modules[name].app
