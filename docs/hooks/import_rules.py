"""The import rules of the architecture page, listed from ``tests/unit/test_architecture.py``.

The test file is where the rules hold; the page lists its tests, one line each: the test's
docstring (its first sentence), or its name in words, and the folders or modules it runs
over. A rule added to the test appears on the page at the next build.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from markers import marker

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "tests" / "unit" / "test_architecture.py"
MARKER = marker("import-rules")


def _over(function: ast.FunctionDef) -> str:
    """What a parametrized test runs over: the folders of its ``_files(...)`` calls, or
    the names it lists."""
    found: list[str] = []
    for decorator in function.decorator_list:
        if not (isinstance(decorator, ast.Call) and len(decorator.args) >= 2):
            continue
        for node in ast.walk(decorator.args[1]):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "_files":
                found += [f"`{a.value}/`" for a in node.args if isinstance(a, ast.Constant)]
            elif isinstance(node, ast.List):
                found += [f"`{e.value}`" for e in node.elts if isinstance(e, ast.Constant)]
    return ", ".join(found)


def rules(source: str) -> list[tuple[str, str, str]]:
    """(test name, the rule in words, what it runs over), in the file's order."""
    found = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            doc = ast.get_docstring(node)
            words = doc.split("\n\n")[0] if doc else node.name.removeprefix("test_")
            text = " ".join(words.replace("_", " ").split()) if not doc else " ".join(words.split())
            found.append((node.name, text[0].upper() + text[1:], _over(node)))
    return found


def render(source: str) -> str:
    lines = []
    for name, text, over in rules(source):
        where = f" Over {over}." if over else ""
        lines.append(f"- {text.rstrip('.')}.{where} (`{name}`)")
    return "\n".join(lines)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    if MARKER not in markdown:
        return markdown
    return markdown.replace(MARKER, render(SOURCE.read_text(encoding="utf-8")))


def on_serve(server: Any, config: Any, builder: Any) -> Any:
    server.watch(str(SOURCE))
    return server
