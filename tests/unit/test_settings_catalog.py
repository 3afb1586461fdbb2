"""The one list of settings holds: every variable read is declared, the parsers apply the
declared defaults and ranges, and the settings page renders the list."""

from __future__ import annotations

import ast
import importlib.util
import json
import re
import sys
from pathlib import Path

import pytest

from chalicelib.api.limits import limits
from chalicelib.config.settings import ConfigSettings, ConfigSettingsError
from chalicelib.observability.settings import ObservabilitySettings, ObservabilitySettingsError
from chalicelib.settings import Settings, SettingsError
from chalicelib.settings_catalog import CATALOG, Setting
from chalicelib.shortener.settings import ShortenerSettings

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ["app.py", "chalicelib", "devstack", "local_runtime", "ops", "deploy", "loadtests"]
SCANNED += ["tests", "docs/hooks"]
RECEIVERS = {"environ", "env", "environment"}
# reads whose name is not written at the read: each reads a name given by its caller, or a
# dictionary of a stage's variables under another name (the checks run on the callers)
GENERIC = {
    ("chalicelib/envvars.py", "name"),
    ("chalicelib/settings_catalog/__init__.py", "name"),
    ("chalicelib/config/settings.py", "name"),
    ("local_runtime/runtime.py", "name"),
    ("local_runtime/project.py", "key"),
    ("devstack/stack.py", "var"),
    ("deploy/stage.py", "variable"),
    ("deploy/package.py", "consumer"),
    ("loadtests/bench.py", "name"),
    ("tests/integration/app_flow.py", "table_variable"),
}
NAME = re.compile(r"[A-Z][A-Z0-9]*(_[A-Z0-9]+)*")


def _receiver(node: ast.expr) -> bool:
    if isinstance(node, ast.Attribute):
        return node.attr in RECEIVERS
    return isinstance(node, ast.Name) and node.id in RECEIVERS


def _key(node: ast.Call | ast.Subscript) -> ast.expr | None:
    """The name argument of an environment read, or None when ``node`` is none."""
    if isinstance(node, ast.Subscript):
        return node.slice if isinstance(node.ctx, ast.Load) and _receiver(node.value) else None
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr in ("get", "getenv") and node.args:
        return node.args[0] if func.attr == "getenv" or _receiver(func.value) else None
    name = getattr(func, "id", None) or getattr(func, "attr", "")
    if name.startswith(("read_", "env_", "_int")) and len(node.args) >= 1:
        strings = [a for a in node.args[:2] if isinstance(a, ast.Constant)]
        return strings[0] if strings and isinstance(strings[0].value, str) else None
    return None


def environment_reads() -> tuple[dict[str, list[str]], list[str]]:
    """Every variable name read (name -> where), and the reads whose name is not resolved."""
    files = [ROOT / "app.py"] + [p for d in SCANNED[1:] for p in sorted((ROOT / d).rglob("*.py"))]
    constants: dict[str, str] = {}
    for path in files:
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                for target in node.targets:
                    if isinstance(target, ast.Name) and isinstance(node.value.value, str):
                        constants[target.id] = node.value.value
    names: dict[str, list[str]] = {}
    unresolved: list[str] = []
    for path in files:
        where = str(path.relative_to(ROOT))
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call | ast.Subscript):
                continue
            key = _key(node)
            if key is None:
                continue
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                value: str | None = key.value
            elif isinstance(key, ast.Name):
                value = constants.get(key.id)
            else:
                value = None
            if value is not None and NAME.fullmatch(value):
                names.setdefault(value, []).append(f"{where}:{node.lineno}")
            elif value is None and (where, ast.unparse(key)) not in GENERIC:
                unresolved.append(f"{where}:{node.lineno}: {ast.unparse(key)}")
    return names, unresolved


def test_every_variable_read_anywhere_is_declared():
    names, unresolved = environment_reads()
    assert "FOLLOWER_GROUP_SIZE" in names and "LOCAL_AWS_PORT" in names  # the scan finds reads
    undeclared = {name: where for name, where in names.items() if name not in CATALOG}
    assert undeclared == {}, "declare these in chalicelib/settings_catalog"
    assert unresolved == [], "read these by a literal name, through chalicelib/settings_catalog"


def _base_env() -> dict[str, str]:
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    return {
        **config["environment_variables"],
        **config["stages"]["local"]["environment_variables"],
        "USER_POOL_ID": "us-east-1_AbC123",
        "USER_POOL_CLIENT_ID": "client",
    }


# each parser of the deployed code, and the settings it reads
PARSERS = {
    "fanout": (Settings.from_environ, SettingsError),
    "config": (ConfigSettings.from_environ, ConfigSettingsError),
    "observability": (ObservabilitySettings.from_environ, ObservabilitySettingsError),
    "shortener": (ShortenerSettings.from_environ, SettingsError),
    "limits": (limits.__wrapped__, ValueError),
}


def _parser_of(setting: Setting):
    """The parser that reads ``setting``: the one whose result changes with its value."""
    base = _base_env()
    for parse, error in PARSERS.values():
        try:
            if parse({**base, setting.name: "not a value"}) != parse(base):
                return parse, error
        except Exception as refused:  # a refusal names the variable it read
            if setting.name in str(refused):
                return parse, error
    return None


def _text(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


RANGED = [s for s in CATALOG.values() if s.low is not None and "chalicelib" not in s.read_by]
RANGED = [s for s in RANGED if not s.name.startswith(("BENCH_", "LOCAL_"))]


@pytest.mark.parametrize("setting", RANGED, ids=lambda s: s.name)
def test_the_parsers_apply_the_declared_range_and_default(setting: Setting):
    found = _parser_of(setting)
    assert found is not None, f"no parser of the deployed code reads {setting.name}"
    parse, error = found
    base = _base_env()
    base.pop(setting.name, None)
    assert parse({**base, setting.name: setting.default}) == parse(base)
    for edge in (setting.low, setting.high):
        parse({**base, setting.name: _text(edge)})
    above = setting.high + 1 if setting.kind == "integer" else setting.high * 2 + 1
    with pytest.raises(error, match=setting.name):
        parse({**base, setting.name: _text(above)})
    with pytest.raises(error, match=f"{setting.name} must be"):
        parse({**base, setting.name: _text(setting.low - 1)})


def test_a_required_setting_unset_stops_its_parser_naming_it():
    base = _base_env()
    for name in ("YUBL_POSTED_STREAM", "FEEDS_TABLE", "GROUP_TOPICS"):
        with pytest.raises(SettingsError, match=f"environment variable {name} is not set"):
            Settings.from_environ({k: v for k, v in base.items() if k != name})
    with pytest.raises(ConfigSettingsError, match="CONFIG_TABLE is not set"):
        ConfigSettings.from_environ({k: v for k, v in base.items() if k != "CONFIG_TABLE"})


def _hook(name: str):
    sys.path.insert(0, str(ROOT / "docs" / "hooks"))
    try:
        spec = importlib.util.spec_from_file_location(name, ROOT / "docs" / "hooks" / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(ROOT / "docs" / "hooks"))


def test_the_settings_page_shows_every_setting_with_its_default_and_range():
    page = _hook("settings_reference").render()
    rows = {line.split("|")[1].strip(" `"): line for line in page.splitlines() if "| `" in line}
    assert set(rows) == set(CATALOG)
    group = rows["FOLLOWER_GROUP_SIZE"]
    assert "`500`" in group and "integer 1-5000" in group
    assert "(required)" in rows["FEEDS_TABLE"]
    assert "301, 302, 307, 308" in rows["SHORTENER_REDIRECT_STATUS"]
