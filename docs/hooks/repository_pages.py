"""Pages and assets of the site that live outside ``docs/``, added when the site is built.

The README is the quick start on GitHub and a page of the site; ``local_runtime/README.md``
is the local runtime's own reference. Neither is copied into ``docs/``: the site reads
them where they are, so there is one source. The README links into the site as
``docs/<page>.md`` (which GitHub follows); here those become links between pages. Any
other relative link in them fails the build: a clone has nothing else to point at.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parents[2]

# site page -> the repository file it is made from
PAGES = {
    "quick-start.md": "README.md",
    "local-runtime.md": "local_runtime/README.md",
}
# site asset -> the repository file it is (binary, served as is)
ASSETS = {
    "assets/bench-reference.png": "loadtests/results/bench-reference.png",
}

_LINK = re.compile(r"\]\((?P<target>[^)\s]+)\)")


def site_markdown(text: str, source: str) -> str:
    """``text`` with its ``docs/`` links made site links; other relative links refused."""

    def relink(match: re.Match[str]) -> str:
        target = match["target"]
        if target.startswith("docs/"):
            return f"]({target.removeprefix('docs/')})"
        if target.startswith(("http://", "https://", "#", "mailto:")):
            return match[0]
        raise PluginError(
            f"{source} links to {target!r}: link into the site as docs/<page>.md "
            "or to a full URL (a clone holds nothing else)"
        )

    return _LINK.sub(relink, text)


def on_files(files: Files, config: Any) -> Files:
    for uri, source in PAGES.items():
        text = (ROOT / source).read_text(encoding="utf-8")
        files.append(File.generated(config, uri, content=site_markdown(text, source)))
    for uri, source in ASSETS.items():
        files.append(File.generated(config, uri, abs_src_path=str(ROOT / source)))
    return files


def on_serve(server: Any, config: Any, builder: Any) -> Any:
    """``make docs``: rebuild when a source outside ``docs/`` changes too."""
    for source in [*PAGES.values(), *ASSETS.values()]:
        server.watch(str(ROOT / source))
    return server
