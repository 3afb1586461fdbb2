"""The copies of the contract that other places carry, made from the one source.

Chalice packages only ``app.py``, ``chalicelib/`` and ``vendor/``; ``pip install
./producer`` sees only its own folder; MkDocs publishes only ``docs/``. So each holds a
copy, written here and checked by ``tests/unit/test_contract.py`` (a copy that differs
from the source fails the test, naming ``make contract``).
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["COPIES", "ROOT", "SOURCE", "expected_copies", "stale_copies", "write_copies"]

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "contract"

COPIES: dict[str, tuple[str, ...]] = {
    "chalicelib/contract/schemas": ("events/*.json",),
    "chalicelib/contract": ("validating.py",),
    "producer/src/yubl_producer/schemas": ("events/*.json",),
    "producer/src/yubl_producer": ("validating.py",),
    "docs/contract": ("events/*.json", "asyncapi.yaml"),
}
"""Folder of each copy -> the source files it holds (globs under ``contract/``). The
docs keep the source's layout (the AsyncAPI document refers to ``events/``); the
others hold the files flat."""


def expected_copies() -> dict[Path, bytes]:
    """Every copied file's path and the bytes it must hold."""
    expected: dict[Path, bytes] = {}
    for folder, globs in COPIES.items():
        for pattern in globs:
            for source in sorted(SOURCE.glob(pattern)):
                relative = source.relative_to(SOURCE)
                if not folder.startswith("docs/"):
                    relative = Path(relative.name)
                expected[ROOT / folder / relative] = source.read_bytes()
    return expected


def _copied_files() -> set[Path]:
    """The files now in the copies' folders that a copy may have written."""
    found: set[Path] = set()
    for folder, globs in COPIES.items():
        for pattern in globs:
            flat = pattern if folder.startswith("docs/") else Path(pattern).name
            found.update(p for p in (ROOT / folder).glob(flat) if p.is_file())
    return found


def stale_copies() -> list[str]:
    """What differs between the copies and the source: missing, changed or extra files."""
    expected = expected_copies()
    problems = [
        f"{path.relative_to(ROOT)}: {'missing' if not path.exists() else 'differs from the source'}"
        for path, content in expected.items()
        if not path.exists() or path.read_bytes() != content
    ]
    problems += [
        f"{path.relative_to(ROOT)}: not in the source"
        for path in sorted(_copied_files() - set(expected))
    ]
    return sorted(problems)


def write_copies() -> list[Path]:
    """Write every copy from the source and delete files the source no longer has."""
    expected = expected_copies()
    for path in _copied_files() - set(expected):
        path.unlink()
    written = []
    for path, content in expected.items():
        if not path.exists() or path.read_bytes() != content:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            written.append(path)
    return written
