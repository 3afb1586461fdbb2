"""The local stack's on/off settings (``LOCAL_QUERY_INDEX``, ``LOCAL_KEEP_DATA``,
``LOCAL_CPU_PINNING``): each is on unless set to ``0``, ``false`` or ``no``, in any case
and with spaces around it."""

from __future__ import annotations

__all__ = ["flag_on"]

_OFF = ("0", "false", "no")


def flag_on(value: str | None) -> bool:
    """Whether a flag whose variable holds ``value`` is on (None, unset: on). The caller
    reads the variable by its literal name, which the settings catalog's test finds."""
    return value is None or value.strip().lower() not in _OFF
