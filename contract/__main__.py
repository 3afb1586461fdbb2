"""``python -m contract`` writes the copies (``make contract``); ``--check`` only says
which differ; ``release`` freezes the current versions of the schemas."""

from __future__ import annotations

import sys

from .compat import problems, release
from .copies import ROOT, stale_copies, write_copies


def main(argv: list[str]) -> int:
    if argv[:1] == ["release"]:
        for path in release():
            print(f"released {path.relative_to(ROOT)}")
        return 0
    if argv[:1] == ["--check"]:
        found = stale_copies() + problems()
        for problem in found:
            print(problem, file=sys.stderr)
        return 1 if found else 0
    for path in write_copies():
        print(f"wrote {path.relative_to(ROOT)}")
    for problem in problems():
        print(problem, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
