"""``make install`` pins pip to a release the installed chalice declares it accepts.

An unpinned ``--upgrade pip`` installed pip 26.3 while chalice 1.34 declares
``pip<26.3``: every install then printed pip's dependency-conflict error.
"""

from __future__ import annotations

import re
from importlib.metadata import requires

from packaging.requirements import Requirement

from devstack.stack import PROJECT_DIR

MAKEFILE = (PROJECT_DIR / "Makefile").read_text()


def _pinned_pip() -> str:
    [version] = re.findall(r"^PIP_VERSION := (\S+)$", MAKEFILE, flags=re.MULTILINE)
    return version


def _chalice_pip_requirement() -> Requirement:
    [pip] = [r for r in map(Requirement, requires("chalice") or []) if r.name == "pip"]
    return pip


def test_the_makefile_installs_pip_at_its_pinned_version_and_never_upgrades_it():
    install_lines = [line.strip() for line in MAKEFILE.splitlines() if "-m pip install" in line]

    assert (
        "$(BIN)/python -m pip install --quiet --disable-pip-version-check pip==$(PIP_VERSION)"
        in install_lines
    )
    assert not [line for line in install_lines if "--upgrade pip" in line]


def test_the_pinned_pip_is_one_the_installed_chalice_accepts():
    requirement = _chalice_pip_requirement()

    assert requirement.specifier.contains(_pinned_pip()), (
        f"Makefile PIP_VERSION {_pinned_pip()} is outside chalice's {requirement}"
    )
