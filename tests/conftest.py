"""Shared fixtures: a real emulator server over HTTP for the tests that need one.

Set ``TEST_AWS_ENDPOINT_URL`` to run the emulator tests against an endpoint of your
choice (LocalStack, a moto server you started); otherwise a moto server is started
on a free port for the session and stopped afterwards.

The whole local stack (``make run`` as a child process) is started once for the session
and shared by the e2e tests and the fuzzing tests; the tests that need it run last, so
its idle processes never share the machine's cores with the rest of the suite.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from devstack.emulator import aws_environment, free_port, start_emulator
from tests.e2e.stack_process import StackProcess


@pytest.fixture(scope="session")
def emulator_endpoint() -> Iterator[str]:
    """The endpoint URL of a running AWS emulator, with the SDK variables pointing at it."""
    given = os.environ.get("TEST_AWS_ENDPOINT_URL")
    emulator = None
    if given:
        endpoint = given
    else:
        emulator = start_emulator()
        endpoint = emulator.endpoint_url
    saved = dict(os.environ)
    os.environ.update(aws_environment(endpoint))
    try:
        yield endpoint
    finally:
        os.environ.clear()
        os.environ.update(saved)
        if emulator is not None:
            emulator.stop()


@pytest.fixture(scope="session")
def stack_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    """One stack for every test of the whole local stack; it leaves the environment alone.

    It keeps no data (``LOCAL_KEEP_DATA=0``): no test restarts it (the restart tests start
    stacks of their own), and the snapshot a stop would save scans every table the suite
    filled, which took most of a minute under load.
    """
    logs = tmp_path_factory.mktemp("stack-logs")
    stack = StackProcess(free_port(), free_port(), logs, LOCAL_KEEP_DATA="0")
    try:
        stack.wait_ready()
    except AssertionError as failure:
        pytest.fail(str(failure))
    try:
        yield stack
    finally:
        stack.stop()


# Not the tests' doing: pytest sets PYTEST_CURRENT_TEST around each phase of a test, and
# every chalice.Chalice() appends " aws-chalice/<version>" to AWS_EXECUTION_ENV in
# os.environ (chalice/app.py, Chalice._initialize), as it would in Lambda.
_ENVIRON_SET_BY_FRAMEWORKS = frozenset({"PYTEST_CURRENT_TEST", "AWS_EXECUTION_ENV"})
# What a session fixture may keep set for the whole session: emulator_endpoint's variables,
# so that no test's AWS client ever reaches past the emulator.
_SESSION_WIDE = frozenset(aws_environment("http://127.0.0.1"))


def _environ_changes(before: dict[str, str], ignore: frozenset[str] = frozenset()) -> list[str]:
    """The names of the variables ``os.environ`` holds differently from ``before``."""
    after = dict(os.environ)
    names = (before.keys() | after.keys()) - _ENVIRON_SET_BY_FRAMEWORKS - ignore
    return sorted(name for name in names if before.get(name) != after.get(name))


def _check_environ_restored(
    before: dict[str, str], what: str, ignore: frozenset[str] = frozenset()
) -> None:
    """Fail ``what`` if it changed os.environ (but ``ignore``); restore those first, so
    only the leaker fails."""
    changed = _environ_changes(before, ignore)
    if changed:
        for name in changed:
            if name in before:
                os.environ[name] = before[name]
            else:
                del os.environ[name]
        pytest.fail(
            f"{what} left os.environ changed ({', '.join(changed)}): set variables with "
            "monkeypatch.setenv, or restore os.environ afterwards; a leaked variable "
            "changes what later tests see"
        )


@pytest.fixture(autouse=True)
def _environ_restored_by_each_test() -> Iterator[None]:
    """Guard: a test (and its function fixtures) leaves os.environ as it found it."""
    before = dict(os.environ)
    yield
    _check_environ_restored(before, "this test")


@pytest.fixture(autouse=True, scope="session")
def _session_environ() -> Iterator[dict[str, str]]:
    """Guard: os.environ as the session found it, and as its fixtures must leave it."""
    before = dict(os.environ)
    yield before
    _check_environ_restored(before, "the session's fixtures")


@pytest.fixture(autouse=True, scope="module")
def _environ_restored_by_each_module(_session_environ: dict[str, str]) -> Iterator[None]:
    """Guard: a module's fixtures leave os.environ as they found it, and the session's
    fixtures keep nothing set for every module but emulator_endpoint's SDK variables."""
    carried = [n for n in _environ_changes(_session_environ) if n not in _SESSION_WIDE]
    if carried:
        pytest.fail(
            f"a session fixture keeps {', '.join(carried)} set in os.environ for every "
            "later module: give it module scope (monkeypatch), so only its users see them"
        )
    before = dict(os.environ)
    yield
    # a session fixture first asked for by a later test of this module (emulator_endpoint)
    # sets its variables for the session, not for this module: its own teardown restores them
    _check_environ_restored(before, "this module's fixtures", ignore=_SESSION_WIDE)


def _uses_stack(item: pytest.Item) -> bool:
    return "stack_process" in getattr(item, "fixturenames", ())


def _run_order(item: pytest.Item) -> tuple[int, int]:
    """One process: the rest first; then the e2e tests that start stacks of their own; then
    the tests of the shared stack: the fuzzing ones first (their "wrote nothing" check
    scans whole tables, so they run before the e2e tests fill them), the e2e ones after."""
    e2e = item.path.parent.name == "e2e"
    if _uses_stack(item):
        return (2, int(e2e))
    return (1, 0) if e2e else (0, 0)


def _xdist_group(item: pytest.Item) -> str:
    """Under pytest-xdist (``--dist loadgroup``): what one worker runs as one unit. The
    shared stack's tests stay on one worker (one stack, not one per worker); the deploy
    tests too (they package from the project's one Chalice cache); every other module
    stays whole (its module fixtures are set up once)."""
    if _uses_stack(item):
        return "shared-stack"
    if item.path.parent.name == "deploy":
        return "chalice-package"
    return item.nodeid.split("::")[0]


def _xdist_order(item: pytest.Item) -> int:
    """Under pytest-xdist: the longest units first, so the last unit a worker takes is a
    short one: the shared stack, then the tests with stacks or pipelines of their own."""
    if _uses_stack(item):
        return 0
    if item.path.parent.name in ("e2e", "reliability", "deploy"):
        return 1
    return 2


def _join_group(item: pytest.Item, group: str) -> None:
    """Put ``item`` in the xdist unit ``group``: ``--dist loadgroup`` reads a unit from an
    ``@group`` suffix of the node id. xdist 3.8 writes that suffix to ``item._nodeid``, which
    pytest 9.2 no longer reads (pytest-dev/pytest-xdist#1386): an ``xdist_group`` mark is
    silently ignored and every test is a unit of its own, so both workers started the shared
    stack and the module fixtures. Written here where this pytest keeps the id instead."""
    suffixed = f"{item.nodeid}@{group}"
    if hasattr(item, "_id"):  # pytest >= 9.2: a structured id
        from _pytest.nodeid import NodeId

        item._id = NodeId.parse(suffixed)
    else:
        item._nodeid = suffixed


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("PYTEST_XDIST_WORKER"):
        if getattr(config.option, "loadgroup", False):
            for item in items:
                _join_group(item, _xdist_group(item))
        # stable: the order within each unit is kept, the shared stack's as in one process
        items.sort(key=lambda item: (_xdist_order(item), _run_order(item)))
    else:
        items.sort(key=_run_order)  # stable: the order within each group is kept
