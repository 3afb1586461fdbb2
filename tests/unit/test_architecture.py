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
    assert chalicelib <= {
        "api",
        "events",
        "observability",
        "streams",
        "shortener",
        "config",
        "identity",
    }


_SHORTENER = "chalicelib/shortener"


@pytest.mark.parametrize("name", ["codes", "rules"])
def test_shortener_rules_import_no_sdk_and_nothing_outside_the_package(name):
    path = ROOT / _SHORTENER / f"{name}.py"
    bad = {n for n in _imports(path) if _top(n) in SDKS or _top(n) == "chalicelib"}
    assert bad == set()


def test_shortener_service_imports_only_its_rules():
    path = ROOT / _SHORTENER / "service.py"
    bad = {
        n
        for n in _imports(path)
        if _top(n) in SDKS
        or (n.startswith("chalicelib.") and not n.startswith("chalicelib.shortener."))
        or n.startswith(("chalicelib.shortener.store", "chalicelib.shortener.routes"))
    }
    assert bad == set()


def test_shortener_routes_reach_the_store_only_through_its_wiring():
    bad = {
        n
        for n in _imports(ROOT / _SHORTENER / "routes.py")
        if n.startswith(("chalicelib.shortener.store", "chalicelib.adapters"))
        or _top(n) in {"boto3", "pynamodb"}
    }
    assert bad == set()


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


@pytest.mark.parametrize("name", ["rules", "service", "client", "routes"])
def test_config_service_layers_reach_aws_only_through_store_and_crypto(name):
    """Inside chalicelib/config the same rules hold, layered by file: only the store,
    crypto, memory twins and the package's wiring know an SDK."""
    sdk = {"boto3", "botocore", "pynamodb", "requests"} if name == "routes" else SDKS
    bad = {
        n
        for n in _imports(ROOT / "chalicelib" / "config" / f"{name}.py")
        if _top(n) in sdk
        or n.startswith(("chalicelib.config.store", "chalicelib.config.crypto"))
        or n.startswith(("chalicelib.adapters", "chalicelib.config.memory"))
    }
    assert bad == set()


@pytest.mark.parametrize("path", _files("deploy"), ids=str)
def test_deploy_tooling_never_imports_chalicelib(path):
    # it reads the app only as Chalice packages it, so it works for any handler added
    assert {n for n in _imports(path) if _top(n) == "chalicelib"} == set()


@pytest.mark.parametrize(
    "path", _files("chalicelib") + _files("local_runtime") + [ROOT / "app.py"], ids=str
)
def test_deployed_and_runtime_code_never_imports_the_deploy_tooling(path):
    assert {n for n in _imports(path) if _top(n) == "deploy"} == set()


@pytest.mark.parametrize("path", _files("ops"), ids=str)
def test_ops_takes_from_chalicelib_only_the_parked_shape_and_the_config_service(path):
    """Operator tools share three definitions: the parked record (its shape and its text as
    a queue message), the reader of KPL aggregates (a re-driven aggregate is parked one
    user record at a time, as the processor parks them), the config service's use cases
    (``make api-key`` must hash and store keys exactly as the service reads them), and the
    users table's writes (``make user`` and the backfill must write rows with the sign-up
    trigger's condition)."""
    allowed = {
        "chalicelib.streams.parking",
        "chalicelib.streams.parking.FailedRecord",
        "chalicelib.streams.parking.queue_json",
        "chalicelib.streams.kpl",
        "chalicelib.streams.kpl.CorruptAggregate",
        "chalicelib.streams.kpl.is_aggregated",
        "chalicelib.streams.kpl.user_records",
        "chalicelib.adapters.users_table",
        "chalicelib.adapters.users_table.DynamoUserStore",
        "chalicelib.adapters.users_table.bind_user_model",
    }
    imported = {n for n in _imports(path) if _top(n) == "chalicelib"}
    config_service = {n for n in imported if n.startswith("chalicelib.config.")}
    assert imported - config_service <= allowed | {
        "chalicelib.domain.errors",
        "chalicelib.domain.errors.DomainError",
    }


@pytest.mark.parametrize("path", _files("devstack"), ids=str)
def test_devstack_never_imports_chalicelib(path):
    assert {n for n in _imports(path) if _top(n) == "chalicelib"} == set()


@pytest.mark.parametrize("path", _files("chalicelib/settings_catalog"), ids=str)
def test_the_settings_list_is_pure_data(path):
    """The settings list imports no SDK and nothing of chalicelib but its number readers."""
    bad = {
        n
        for n in _imports(path)
        if _top(n) in SDKS
        or (
            n.startswith("chalicelib.")
            and not n.startswith(("chalicelib.settings_catalog", "chalicelib.envvars"))
        )
    }
    assert bad == set()


@pytest.mark.parametrize("path", _files("chalicelib/contract"), ids=str)
def test_the_contract_imports_no_sdk_and_only_the_domain(path):
    bad = {
        n
        for n in _imports(path)
        if _top(n) in SDKS
        or (n.startswith("chalicelib.") and n.split(".")[1] not in {"domain", "contract"})
    }
    assert bad == set()


@pytest.mark.parametrize("path", _files("producer/src"), ids=str)
def test_the_producer_package_imports_neither_chalice_nor_chalicelib(path):
    bad = {n for n in _imports(path) if _top(n) in {"chalice", "chalicelib"}}
    assert bad == set()
