"""The local stack's on/off settings (``LOCAL_QUERY_INDEX``, ``LOCAL_KEEP_DATA``,
``LOCAL_CPU_PINNING``): each is on unless set to ``0``, ``false`` or ``no``, in any case
and with spaces around it."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["flag_on"]

_OFF = ("0", "false", "no")


def flag_on(environ: Mapping[str, str], name: str) -> bool:
    """Whether the flag ``name`` is on in ``environ`` (unset: on)."""
    return environ.get(name, "1").strip().lower() not in _OFF
