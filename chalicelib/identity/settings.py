"""Identity settings: the user pool, its app client, its JWKS location; CORS origins.

Read on first use (not at import): only the HTTP API needs them, the event functions
never read them. On AWS the issuer and the JWKS location follow from the pool id; the
local stack sets ``USER_POOL_JWKS_URL`` to the emulator's copy of the same document.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from chalicelib.settings_catalog import read_required, read_text

__all__ = [
    "IdentitySettings",
    "IdentitySettingsError",
    "cors_allow_origins",
    "identity_settings",
    "parse_origins",
]

_POOL_ID = re.compile(r"(?P<region>[a-z]{2}(-[a-z]+)+-\d)_[0-9A-Za-z]+")


class IdentitySettingsError(RuntimeError):
    """A required identity variable is missing or holds a value the code cannot use."""


def _required(env: Mapping[str, str], name: str) -> str:
    return read_required(env, name, IdentitySettingsError)


def parse_origins(raw: str) -> frozenset[str]:
    """``CORS_ALLOW_ORIGINS``: comma-separated origins; ``*`` is refused (tokens travel)."""
    origins = frozenset(o.strip().rstrip("/") for o in raw.split(",") if o.strip())
    bad = sorted(o for o in origins if o == "*" or not re.fullmatch(r"https?://[^/\s]+", o))
    if bad:
        raise IdentitySettingsError(
            f"CORS_ALLOW_ORIGINS must list origins like https://app.example.com, got {bad[0]!r}"
        )
    return origins


@dataclass(frozen=True)
class IdentitySettings:
    user_pool_id: str
    client_id: str
    issuer: str
    jwks_url: str

    @classmethod
    def from_environ(cls, env: Mapping[str, str] | None = None) -> IdentitySettings:
        env = os.environ if env is None else env
        pool_id = _required(env, "USER_POOL_ID")
        match = _POOL_ID.fullmatch(pool_id)
        if match is None:
            raise IdentitySettingsError(
                f"USER_POOL_ID must look like us-east-1_AbC123, got {pool_id!r}"
            )
        default_issuer = f"https://cognito-idp.{match['region']}.amazonaws.com/{pool_id}"
        issuer = read_text(env, "USER_POOL_ISSUER") or default_issuer
        return cls(
            user_pool_id=pool_id,
            client_id=_required(env, "USER_POOL_CLIENT_ID"),
            issuer=issuer,
            jwks_url=read_text(env, "USER_POOL_JWKS_URL") or f"{issuer}/.well-known/jwks.json",
        )


@cache
def identity_settings() -> IdentitySettings:
    """The identity settings of this container, read on first use."""
    return IdentitySettings.from_environ()


@cache
def cors_allow_origins() -> frozenset[str]:
    """The origins a browser may call this stage's API from (``CORS_ALLOW_ORIGINS``)."""
    return parse_origins(read_text(os.environ, "CORS_ALLOW_ORIGINS"))
