"""MkDocs hook: the event schema reference (``event-schemas.md``), rendered at build time
from the docs' copy of the contract (``docs/contract/events/*.json``, written from
``contract/`` by ``python -m contract``), so the page never copies its source.

Register in ``mkdocs.yml``: ``hooks: [docs/hooks/event_schemas.py]``. The page
``docs/event-schemas.md`` holds a marker line, replaced here by one section per event
type: what it is, its partition key and identity, a field table, an example, and links
to the schema files and the AsyncAPI document (both published with the site).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

MARKER = "<!-- event-schemas -->"
PAGE = "event-schemas.md"


def _rows(schema: dict[str, Any], prefix: str = "") -> list[str]:
    rows = []
    required = set(schema.get("required", []))
    for name, field in schema.get("properties", {}).items():
        path = f"{prefix}{name}"
        if "const" in field:
            kind = f"`{json.dumps(field['const'])}`"
        else:
            kind = field.get("type", "any")
            if "format" in field:
                kind = f"{kind} ({field['format']})"
        rule = []
        if "pattern" in field:
            rule.append(f"`{field['pattern']}`")
        if "minLength" in field or "maxLength" in field:
            rule.append(f"{field.get('minLength', 0)}-{field.get('maxLength', '...')} characters")
        text = " ".join(str(field.get("description", "")).split()).replace("|", "\\|")
        pattern = "<br>".join(rule).replace("|", "\\|")
        rows.append(
            f"| `{path}` | {kind} | {'yes' if name in required else 'no'} | {pattern} | {text} |"
        )
        if field.get("type") == "object" and "properties" in field:
            rows += _rows(field, f"{path}.")
    return rows


def _example(schema: dict[str, Any]) -> dict[str, Any]:
    def value(field: dict[str, Any]) -> Any:
        if "const" in field:
            return field["const"]
        if field.get("examples"):
            return field["examples"][0]
        if field.get("type") == "object":
            return {k: value(v) for k, v in field.get("properties", {}).items()}
        return {"author_id": "alice", "user_id": "alice", "follower_id": "bob"}.get(
            field.get("_name", ""), "hello @bob"
        )

    def named(fields: dict[str, Any]) -> dict[str, Any]:
        return {k: {**v, "_name": k} for k, v in fields.items()}

    body_key = next(k for k in schema["required"] if k != "type")
    body = schema["properties"][body_key]
    return {
        "type": schema["properties"]["type"]["const"],
        "schema_version": schema["x-schema-version"],
        body_key: {k: value(v) for k, v in named(body["properties"]).items()},
        "__context__": schema["properties"]["__context__"]["examples"][0],
    }


def render(folder: Path) -> str:
    """The reference's Markdown, one section per schema in ``folder``."""
    parts = []
    for path in sorted(folder.glob("*.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        name = schema["title"]
        parts += [
            f"## `{name}` {{#{name}}}",
            "",
            schema["description"],
            "",
            f"- Version: **{schema['x-schema-version']}** (`{schema['$id']}`);"
            f" the schema file: [`contract/events/{path.name}`](contract/events/{path.name})",
            f"- Partition key: `{schema['x-partition-key']['field']}`."
            f" {schema['x-partition-key']['why']}",
            f"- Identity: {', '.join(f'`{f}`' for f in schema['x-identity']['fields'])}."
            f" {schema['x-identity']['rule']}",
            "",
            "| field | type | required | rule | meaning |",
            "| --- | --- | --- | --- | --- |",
            *_rows(schema),
            "",
            "```json",
            json.dumps(_example(schema), indent=2),
            "```",
            "",
        ]
    return "\n".join(parts)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    if page.file.src_uri != PAGE or MARKER not in markdown:
        return markdown
    return markdown.replace(MARKER, render(Path(config["docs_dir"]) / "contract" / "events"))
