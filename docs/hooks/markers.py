"""The last hook: a ``<!-- generated: NAME -->`` marker left in a page fails the build.

A page asks a hook for generated Markdown with such a marker; one left over means no
hook owns that name (a typo, or a hook missing from ``mkdocs.yml``), and the page would
silently lack its reference.
"""

from __future__ import annotations

import re
from typing import Any

from mkdocs.exceptions import PluginError

MARKER = re.compile(r"<!-- generated: (?P<name>[a-z0-9-]+) -->")


def marker(name: str) -> str:
    """The marker a page writes, on a line of its own, to receive ``name``."""
    return f"<!-- generated: {name} -->"


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    left = MARKER.search(markdown)
    if left:
        raise PluginError(
            f"{page.file.src_uri}: no hook replaced the marker {left[0]} "
            "(is its hook listed under hooks: in mkdocs.yml?)"
        )
    return markdown
