"""local_runtime's modules import each other without cycles (read with ``ast``), so each
part of a shard's poller can be read, and tested, without the mapping around it."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[3] / "local_runtime"


def imports_of(path: Path) -> set[str]:
    """The local_runtime modules ``path`` imports, TYPE_CHECKING imports included."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        found.update(n.split(".")[1] for n in names if n.startswith("local_runtime."))
    return found


def graph() -> dict[str, set[str]]:
    modules = {p.stem: p for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    return {name: imports_of(path) & modules.keys() for name, path in modules.items()}


def cycle_from(start: str, edges: dict[str, set[str]]) -> list[str] | None:
    stack = [(start, [start])]
    while stack:
        node, path = stack.pop()
        for nxt in sorted(edges[node]):
            if nxt == start:
                return [*path, start]
            if nxt not in path:
                stack.append((nxt, [*path, nxt]))
    return None


def test_the_shard_parts_do_not_import_the_mapping():
    edges = graph()
    parts = ["shard", "shard_reader", "shard_lanes", "batch_runner", "shard_progress", "tumbling"]
    assert {part: "kinesis" in edges[part] for part in parts} == dict.fromkeys(parts, False)
    assert "shard" in edges["kinesis"]


def test_no_module_of_local_runtime_is_part_of_an_import_cycle():
    edges = graph()
    cycles = {name: cycle_from(name, edges) for name in edges}
    assert {name: cycle for name, cycle in cycles.items() if cycle} == {}
