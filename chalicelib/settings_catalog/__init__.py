"""Every environment variable the project reads: one declarative list, and the readers.

The parsers (``chalicelib/settings.py`` and the ``settings.py`` of ``config``,
``identity``, ``observability`` and ``shortener``; ``chalicelib/api/limits.py``; the local
stack's and the benchmarks' variables) read every variable through this list, so its
defaults and ranges are the ones the code applies, and the docs site renders the same list
(``docs/hooks/settings_reference.py``). A test fails on a variable read anywhere that the
list does not declare (``tests/unit/test_settings_catalog.py``).

Written by hand, not a settings library: the readers keep the exact error messages the
parsers gave before (``FOLLOWER_GROUP_SIZE must be between 1 and 5000, got 0``), and the
deployed code adds no dependency. Pure data and standard library only: the local stack,
which never imports the app, may import this package.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..envvars import env_float, env_int, env_required

__all__ = [
    "CATALOG",
    "SECTIONS",
    "Section",
    "Setting",
    "declared",
    "read_flag",
    "read_float",
    "read_int",
    "read_required",
    "read_text",
]


@dataclass(frozen=True)
class Setting:
    """One environment variable: what it means, who reads it, what it may hold."""

    name: str
    meaning: str
    read_by: str  # the functions or tools that read it
    default: str = ""  # as the environment would hold it; "" when there is none
    required: bool = False
    low: float | None = None  # integers and numbers: the range, both ends allowed
    high: float | None = None
    choices: tuple[str, ...] = ()  # the values allowed, when they are a short list
    kind: str = "text"  # text, integer, number, flag (true/false), JSON, list, URL

    def allowed(self) -> str:
        """The values it may hold, in words, for the reference page."""
        if self.choices:
            return ", ".join(self.choices)
        if self.low is not None and self.high is not None:
            return f"{self.kind} {self.low:g}-{self.high:g}"
        return self.kind


@dataclass(frozen=True)
class Section:
    title: str
    intro: str
    settings: tuple[Setting, ...]


def _sections() -> tuple[Section, ...]:
    from . import accounts, fanout, services, tooling  # by the part of the project that reads them

    return (*fanout.SECTIONS, *accounts.SECTIONS, *services.SECTIONS, *tooling.SECTIONS)


SECTIONS: tuple[Section, ...] = _sections()
CATALOG: dict[str, Setting] = {s.name: s for section in SECTIONS for s in section.settings}


def declared(name: str) -> Setting:
    """The declaration of ``name``; a ``KeyError`` that says where to declare it."""
    try:
        return CATALOG[name]
    except KeyError:
        raise KeyError(f"{name} is read but not declared in chalicelib/settings_catalog") from None


def read_text(env: Mapping[str, str], name: str) -> str:
    """The variable's value, stripped, or its declared default."""
    return env.get(name, "").strip() or declared(name).default


def read_required(env: Mapping[str, str], name: str, error: type[Exception]) -> str:
    declared(name)
    return env_required(env, name, error)


def _bounds(setting: Setting) -> tuple[float, float]:
    if setting.low is None or setting.high is None:
        raise TypeError(f"{setting.name} is declared without a range")
    return setting.low, setting.high


def read_int(env: Mapping[str, str], name: str, error: type[Exception] = ValueError) -> int:
    setting = declared(name)
    low, high = _bounds(setting)
    return env_int(env, name, int(setting.default), int(low), int(high), error)


def read_float(env: Mapping[str, str], name: str, error: type[Exception] = ValueError) -> float:
    setting = declared(name)
    low, high = _bounds(setting)
    return env_float(env, name, float(setting.default), low, high, error)


def read_flag(env: Mapping[str, str], name: str, error: type[Exception] = ValueError) -> bool:
    """``true`` or ``false`` (any case), the declared default when unset."""
    raw = env.get(name, declared(name).default).strip().lower()
    if raw not in ("true", "false"):
        raise error(f"{name} must be true or false, got {raw!r}")
    return raw == "true"
