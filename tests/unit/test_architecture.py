"""The import rules of DESIGN.md, held by parsing every module's imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SDKS = {"boto3", "botocore", "pynamodb", "chalice", "requests"}


def _imports(path: Path) -> set[str]:
    """Absolute names of every module a file imports (relative imports resolved)."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def _files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def _top(name: str) -> str:
    return name.split(".")[0]


@pytest.mark.parametrize("path", _files("chalicelib/domain"), ids=str)
def test_domain_imports_no_sdk_and_nothing_outside_domain(path):
    bad = {
        n
        for n in _imports(path)
        if _top(n) in SDKS
        or (n.startswith("chalicelib.") and not n.startswith("chalicelib.domain"))
    }
    assert bad == set()


@pytest.mark.parametrize("path", _files("chalicelib/services"), ids=str)
def test_services_import_only_domain_and_services(path):
    bad = {
        n
        for n in _imports(path)
        if _top(n) in SDKS
        or (n.startswith("chalicelib.") and n.split(".")[1] not in {"domain", "services"})
    }
    assert bad == set()


@pytest.mark.parametrize("path", _files("chalicelib/api") + _files("chalicelib/events"), ids=str)
def test_handlers_reach_adapters_only_through_wiring(path):
    bad = {
        n
        for n in _imports(path)
        if n.startswith("chalicelib.adapters") or _top(n) in {"boto3", "pynamodb"}
    }
    assert bad == set()


def test_app_imports_only_api_events_and_observability():
    chalicelib = {n.split(".")[1] for n in _imports(ROOT / "app.py") if n.startswith("chalicelib.")}
    assert chalicelib <= {"api", "events", "observability", "streams", "identity"}


def test_who_may_act_for_whom_is_pure():
    path = ROOT / "chalicelib" / "identity" / "access.py"
    assert {
        n for n in _imports(path) if _top(n) in SDKS | {"jwt"} or _top(n) == "chalicelib"
    } == set()


@pytest.mark.parametrize("path", _files("local_runtime"), ids=str)
def test_local_runtime_never_imports_chalicelib(path):
    assert {n for n in _imports(path) if _top(n) == "chalicelib"} == set()


def test_chalicelib_holds_no_endpoint_plumbing():
    offenders = [
        str(p.relative_to(ROOT))
        for p in _files("chalicelib")
        if "endpoint_url" in p.read_text() or "127.0.0.1" in p.read_text()
    ]
    assert offenders == []
