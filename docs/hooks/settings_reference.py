"""The settings reference, rendered from ``chalicelib/settings_catalog`` when the site is built.

The code reads every environment variable through that list, so the page shows the
defaults and ranges the code applies, and a variable added to the list appears here.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from markers import marker

ROOT = Path(__file__).resolve().parents[2]
MARKER = marker("settings-reference")


def _catalog() -> Any:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import chalicelib.settings_catalog as catalog

    return catalog


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def render() -> str:
    lines: list[str] = []
    for section in _catalog().SECTIONS:
        lines += [f"## {section.title}", "", section.intro, ""]
        lines += ["| variable | default | allowed | read by | meaning |"]
        lines += ["| --- | --- | --- | --- | --- |"]
        for s in section.settings:
            default = "(required)" if s.required else (f"`{s.default}`" if s.default else "(none)")
            lines.append(
                f"| `{s.name}` | {_cell(default)} | {_cell(s.allowed())} | {_cell(s.read_by)} "
                f"| {_cell(s.meaning)} |"
            )
        lines.append("")
    return "\n".join(lines)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    return markdown.replace(MARKER, render()) if MARKER in markdown else markdown
