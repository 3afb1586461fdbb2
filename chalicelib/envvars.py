"""Reading numbers from environment variables, with errors that name the variable."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["env_float", "env_int", "env_required"]


def env_required(env: Mapping[str, str], name: str, error: type[Exception] = ValueError) -> str:
    """The variable's value, stripped; ``error`` naming it when it is unset or blank."""
    value = env.get(name, "").strip()
    if not value:
        raise error(f"environment variable {name} is not set")
    return value


def env_int(
    env: Mapping[str, str],
    name: str,
    default: int,
    low: int,
    high: int,
    error: type[Exception] = ValueError,
) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise error(f"{name} must be an integer, got {raw!r}") from None
    if not low <= value <= high:
        raise error(f"{name} must be between {low} and {high}, got {value}")
    return value


def env_float(
    env: Mapping[str, str],
    name: str,
    default: float,
    low: float,
    high: float,
    error: type[Exception] = ValueError,
) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise error(f"{name} must be a number, got {raw!r}") from None
    if not low <= value <= high:
        raise error(f"{name} must be between {low:g} and {high:g}, got {value:g}")
    return value
