"""Evolution of the contract: a new schema must accept every record a released version
of the same major version accepted, and a released version never changes.

``python -m contract release`` freezes each event type's current version into
``released/<type>/<version>.json``; ``problems()`` (run by ``make test``, in
``tests/unit/test_contract.py``) holds every current schema against the frozen copies.

The check is a structural proof over the keywords the contract's schemas use, and
fails closed: a keyword it does not know makes the change unprovable, never accepted.
Written by hand because the one library for this, jsoncompat, calls itself alpha
software that "can still miss incompatible changes". Like that library's
deserializer role, it assumes producers send no property their schema does not
declare, so a new optional property is a compatible change (older readers ignore it).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .copies import SOURCE

__all__ = ["incompatibilities", "problems", "release", "released_versions", "version_of"]

RELEASED = SOURCE / "released"
_ANNOTATIONS = {
    "$schema", "$id", "$comment", "title", "description", "examples", "default", "deprecated",
}  # fmt: skip
_LOWER_BOUNDS = ("minLength", "minimum", "minItems", "minProperties")
_UPPER_BOUNDS = ("maxLength", "maximum", "maxItems", "maxProperties")
_KNOWN = {
    *_ANNOTATIONS, *_LOWER_BOUNDS, *_UPPER_BOUNDS,
    "type", "const", "enum", "properties", "required", "additionalProperties", "pattern",
    "format", "items",
}  # fmt: skip


def _types(schema: dict[str, Any]) -> set[str] | None:
    """The JSON types a schema allows, None for any."""
    if "type" in schema:
        given = schema["type"]
        return {given} if isinstance(given, str) else set(given)
    values = [schema["const"]] if "const" in schema else schema.get("enum")
    if values is None:
        return None
    names = {bool: "boolean", str: "string", int: "integer", float: "number", dict: "object"}
    return {names.get(type(v), "array" if isinstance(v, list) else "null") for v in values}


def incompatibilities(old: Any, new: Any, at: str = "$") -> list[str]:
    """Why ``new`` may refuse a record ``old`` accepts; empty when it provably cannot."""
    if new is True or new == {}:
        return []
    if old is True or not isinstance(old, dict) or not isinstance(new, dict):
        return [] if old == new else [f"{at}: {old!r} became {new!r}"]
    unknown = sorted((set(old) | set(new)) - _KNOWN)
    unknown = [k for k in unknown if not k.startswith("x-")]
    if unknown:
        return [f"{at}: cannot prove a change that uses {', '.join(unknown)}"]
    found: list[str] = []
    old_types, new_types = _types(old), _types(new)
    if new_types is not None and (old_types is None or not old_types <= new_types):
        found.append(f"{at}: type {sorted(old_types or ['any'])} narrowed to {sorted(new_types)}")
    for keyword in ("const", "enum"):
        if keyword in new:
            allowed = [new["const"]] if keyword == "const" else new["enum"]
            before = [old["const"]] if "const" in old else old.get("enum")
            if before is None or any(value not in allowed for value in before):
                found.append(f"{at}: {keyword} allows fewer values than before")
    for keyword in ("pattern", "format"):
        if keyword in new and new.get(keyword) != old.get(keyword):
            found.append(f"{at}: {keyword} {old.get(keyword)!r} became {new[keyword]!r}")
    for keyword in _LOWER_BOUNDS:
        if keyword in new and not new[keyword] <= old.get(keyword, float("-inf")):
            found.append(f"{at}: {keyword} {old.get(keyword)} raised to {new[keyword]}")
    for keyword in _UPPER_BOUNDS:
        if keyword in new and not new[keyword] >= old.get(keyword, float("inf")):
            found.append(f"{at}: {keyword} {old.get(keyword)} lowered to {new[keyword]}")
    added = sorted(set(new.get("required", [])) - set(old.get("required", [])))
    if added:
        found.append(f"{at}: newly required {', '.join(added)}")
    found += _properties(old, new, at)
    if "items" in new:
        found += incompatibilities(old.get("items", True), new["items"], f"{at}[]")
    return found


def _properties(old: dict[str, Any], new: dict[str, Any], at: str) -> list[str]:
    found: list[str] = []
    others = new.get("additionalProperties", True)
    for name, schema in old.get("properties", {}).items():
        replacement = new.get("properties", {}).get(name, others)
        found += incompatibilities(schema, replacement, f"{at}.{name}")
    if others is not True and old.get("additionalProperties", True) is not False:
        before = old.get("additionalProperties", True)
        if before is True and others is False:
            pass  # records declare only their schema's properties (see the module's docstring)
        else:
            found += incompatibilities(before, others, f"{at}.*")
    return found


def version_of(schema: dict[str, Any]) -> tuple[int, int]:
    major, minor = str(schema["x-schema-version"]).split(".")
    return int(major), int(minor)


def released_versions(event_type: str) -> dict[tuple[int, int], dict[str, Any]]:
    """The frozen copies of one event type, by version."""
    folder = RELEASED / event_type
    frozen = {}
    for path in sorted(folder.glob("*.json")):
        major, minor = path.stem.split(".")
        frozen[(int(major), int(minor))] = json.loads(path.read_text())
    return frozen


def _current() -> dict[str, dict[str, Any]]:
    return {p.stem: json.loads(p.read_text()) for p in sorted((SOURCE / "events").glob("*.json"))}


def problems() -> list[str]:
    """Every way the current schemas break the evolution rules, or nothing."""
    found: list[str] = []
    for event_type, schema in _current().items():
        version = version_of(schema)
        label = f"{event_type} {version[0]}.{version[1]}"
        if schema.get("$id") != f"urn:yubl:events:{event_type}:{version[0]}.{version[1]}":
            found.append(f"{label}: $id must name the type and version")
        frozen = released_versions(event_type)
        if not frozen:
            found.append(f"{label}: no released version: run python -m contract release")
        if version in frozen and frozen[version] != schema:
            found.append(f"{label}: changed after its release: raise x-schema-version")
        if version not in frozen and frozen and version < max(frozen):
            found.append(f"{label}: older than the released {max(frozen)}")
        for (major, minor), old in frozen.items():
            if major == version[0] and (major, minor) != version:
                found += [
                    f"{label} against released {major}.{minor}: {problem}"
                    for problem in incompatibilities(old, schema)
                ]
    return found


def release() -> list[Path]:
    """Freeze each type's current version; a released version is never overwritten."""
    written = []
    for event_type, schema in _current().items():
        major, minor = version_of(schema)
        path = RELEASED / event_type / f"{major}.{minor}.json"
        if path.exists():
            if json.loads(path.read_text()) != schema:
                raise SystemExit(f"{path} exists and differs: raise x-schema-version first")
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n")
        written.append(path)
    return written
