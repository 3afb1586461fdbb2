"""Who may call each user route, read from the views' decorators when the site is built.

A view marked ``@user_route(*params)`` (``chalicelib/identity/middleware.py``) needs a
signed-in user who is one of those path parameters; with none named, any signed-in user.
The table is made from those marks in ``chalicelib/api/``, so it lists every user route.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from markers import marker

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "chalicelib" / "api"
MARKER = marker("sign-in-routes")


def _route(decorator: ast.expr) -> list[str]:
    """``["PUT /path", ...]`` of a ``@bp.route(path, methods=[...])`` decorator, else []."""
    if not (isinstance(decorator, ast.Call) and getattr(decorator.func, "attr", "") == "route"):
        return []
    path = decorator.args[0].value if decorator.args else "?"
    methods = ["GET"]
    for keyword in decorator.keywords:
        if keyword.arg == "methods" and isinstance(keyword.value, ast.List):
            methods = [e.value for e in keyword.value.elts if isinstance(e, ast.Constant)]
    return [f"{method} {path}" for method in methods]


def _acting_for(decorator: ast.expr) -> list[str] | None:
    if isinstance(decorator, ast.Call) and getattr(decorator.func, "id", "") == "user_route":
        return [a.value for a in decorator.args if isinstance(a, ast.Constant)]
    return None


def user_routes(folder: Path = SOURCES) -> list[tuple[str, list[str]]]:
    """(route, the path parameters the caller must be one of), for every user route."""
    found = []
    for path in sorted(folder.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef):
                continue
            routes = [r for d in node.decorator_list for r in _route(d)]
            marks = [m for d in node.decorator_list if (m := _acting_for(d)) is not None]
            if marks:
                found += [(route, marks[0]) for route in routes]
    return sorted(found, key=lambda item: item[0].split(" ", 1)[1] + item[0])


def render() -> str:
    rows = ["| route | who may call it |", "| --- | --- |"]
    for route, params in user_routes():
        who = " or ".join(f"`{p}`" for p in params) if params else "any signed-in user"
        rows.append(f"| `{route}` | {who} |")
    return "\n".join(rows)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    return markdown.replace(MARKER, render()) if MARKER in markdown else markdown
