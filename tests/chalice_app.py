"""This project's Chalice app, imported once per test process.

Once: Chalice's blueprints keep their routes' keyword arguments and consume them when
registered, so a second import of app.py in one process registers every route as GET.
The stage's environment must be set before the first call; other tests load other
projects' app.py as module "app", so a plain import could find theirs.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from typing import Any

from devstack.stack import PROJECT_DIR

__all__ = ["load_app"]


@cache
def load_app() -> Any:
    spec = importlib.util.spec_from_file_location("yubl_fanout_app", PROJECT_DIR / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.app
