"""The HTTP API reference, rendered from ``openapi.yaml`` when the site is built.

``openapi.yaml`` is the API's one description (a test keeps it equal to the app's routes,
and the fuzzing runs from it), so the reference is made from it, never written by hand.
Plain Markdown tables rather than a Swagger UI: the site builds and reads offline.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from markers import marker

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "openapi.yaml"
MARKER = marker("openapi-reference")

METHODS = ("get", "head", "post", "put", "patch", "delete", "options")
# sections of the reference, by the first path segment; any other path goes under "Shortener"
SECTIONS = {
    "health": "Health",
    "yubls": "Posts, follows and feeds",
    "users": "Posts, follows and feeds",
    "config": "Config service",
}
SECURITY = {
    "userToken": "a user's token, `Authorization: Bearer <token>` ([Signing in](../signing-in.md))",
    "configKey": "a config API key, `x-api-key: <key>` ([Config service](../config-service.md))",
}


def _resolve(document: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _type(document: dict[str, Any], schema: Any) -> str:
    schema = _resolve(document, schema) or {}
    kind = schema.get("type", "any")
    if kind == "array":
        kind = f"array of {_type(document, schema.get('items'))}"
    if schema.get("nullable"):
        kind += " or null"
    return str(kind)


def _cell(text: Any) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _properties(document: dict[str, Any], schema: Any) -> list[str]:
    schema = _resolve(document, schema) or {}
    props = schema.get("properties") or {}
    if not props:
        return []
    required = set(schema.get("required") or ())
    rows = ["| field | type | required | meaning |", "| --- | --- | --- | --- |"]
    for name, prop in props.items():
        meaning = (_resolve(document, prop) or {}).get("description", "")
        yes = "yes" if name in required else "no"
        rows.append(f"| `{name}` | {_type(document, prop)} | {yes} | {_cell(meaning)} |")
    return rows


def _parameters(document: dict[str, Any], shared: list[Any], own: list[Any]) -> list[str]:
    params = [_resolve(document, p) for p in [*shared, *own]]
    if not params:
        return []
    rows = ["| parameter | in | type | required |", "| --- | --- | --- | --- |"]
    for p in params:
        required = "yes" if p.get("required") else "no"
        kind = _type(document, p.get("schema"))
        rows.append(f"| `{p['name']}` | {p['in']} | {kind} | {required} |")
    return ["**Parameters**", "", *rows, ""]


def _body(document: dict[str, Any], body: Any) -> list[str]:
    body = _resolve(document, body)
    if not body:
        return []
    lines = []
    for media, content in (body.get("content") or {}).items():
        lines += [f"**Request body** (`{media}`)", ""]
        lines += _properties(document, content.get("schema")) or ["Any body."]
        lines.append("")
    return lines


def _responses(document: dict[str, Any], responses: dict[str, Any]) -> list[str]:
    lines = ["**Responses**", ""]
    for status, response in responses.items():
        response = _resolve(document, response)
        media = ", ".join(f"`{m}`" for m in response.get("content") or {})
        lines.append(
            f"- **{status}**: {_cell(response.get('description', ''))}"
            + (f" ({media})" if media else "")
        )
        for content in (response.get("content") or {}).values():
            rows = _properties(document, content.get("schema"))
            if rows:
                lines += ["", *("    " + row for row in rows), ""]
    return [*lines, ""]


def _operation(document: dict[str, Any], path: str, method: str, shared: list[Any]) -> list[str]:
    op = document["paths"][path][method]
    anchor = op.get("operationId", f"{method}-{path}").replace("_", "-")
    lines = [f"### `{method.upper()} {path}` {{#{anchor}}}", ""]
    if op.get("summary") or op.get("description"):
        lines += [_cell(op.get("summary") or op["description"]), ""]
    security = [name for entry in op.get("security") or [] for name in entry]
    who = ", ".join(SECURITY.get(name, f"`{name}`") for name in security) or "none (public)"
    lines += [f"**Sign-in**: {who}", ""]
    lines += _parameters(document, shared, op.get("parameters") or [])
    lines += _body(document, op.get("requestBody"))
    lines += _responses(document, op.get("responses") or {})
    return lines


def render(document: dict[str, Any]) -> str:
    """The reference's Markdown: an index table, then one section per operation."""
    grouped: dict[str, list[tuple[str, str]]] = {}
    for path, item in document["paths"].items():
        section = SECTIONS.get(path.strip("/").split("/")[0], "Shortener")
        for method in METHODS:
            if method in item:
                grouped.setdefault(section, []).append((path, method))
    info = document.get("info", {})
    lines = [_cell(info.get("description", "")), ""]
    lines += ["| operation | route | sign-in |", "| --- | --- | --- |"]
    for operations in grouped.values():
        for path, method in operations:
            op = document["paths"][path][method]
            anchor = op.get("operationId", "").replace("_", "-")
            who = ", ".join(n for e in op.get("security") or [] for n in e) or "public"
            lines.append(
                f"| [`{op.get('operationId')}`](#{anchor}) | `{method.upper()} {path}` | {who} |"
            )
    lines.append("")
    for section, operations in grouped.items():
        lines += [f"## {section}", ""]
        for path, method in operations:
            shared = document["paths"][path].get("parameters") or []
            lines += _operation(document, path, method, shared)
    return "\n".join(lines)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    if MARKER not in markdown:
        return markdown
    return markdown.replace(MARKER, render(yaml.safe_load(SOURCE.read_text(encoding="utf-8"))))


def on_serve(server: Any, config: Any, builder: Any) -> Any:
    server.watch(str(SOURCE))
    return server
