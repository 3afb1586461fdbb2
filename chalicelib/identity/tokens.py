"""Verifying a Cognito bearer token: signature, issuer, client, token use, expiry.

PyJWT does the cryptography and fetches the key set (``PyJWKClient``). The set is
kept for the container's life and fetched again when a token names a key id it
does not hold (a rotated pool key), at most once per ``refresh_interval`` so that a
stream of forged key ids cannot turn every request into a fetch. What Cognito adds
is checked here: an id token carries the app client in ``aud``, an access token in
``client_id``; ``token_use`` says which it is; the username is ``cognito:username``
in an id token and ``username`` in an access token.

A refusal names the problem in our words (malformed, expired, another pool, another
app client, a bad signature, an unknown key, a missing claim), never PyJWT's message:
that one can echo decoder internals of the caller's bytes.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import jwt

from .access import SignedInUser, is_user_id

__all__ = ["BadUsername", "InvalidToken", "KeysUnavailable", "TokenVerifier"]

_ALGORITHMS = ["RS256"]
_USERNAME_CLAIM = {"id": "cognito:username", "access": "username"}


class InvalidToken(Exception):
    """The token is missing, malformed, expired, or not one of this pool's (HTTP 401)."""


class KeysUnavailable(Exception):
    """The pool's key set could not be fetched: our failure, not the caller's (HTTP 503)."""


class BadUsername(Exception):
    """A valid token whose username is outside the user id format (HTTP 403)."""


MALFORMED = "the token is malformed: not a JWT"


class _UnknownKey(jwt.InvalidTokenError):
    """The token names a key id the pool's key set does not hold, even after a refetch."""


# the first matching class names the problem (InvalidSignatureError is a DecodeError)
_PROBLEMS: tuple[tuple[type[jwt.InvalidTokenError], str], ...] = (
    (jwt.ExpiredSignatureError, "the token has expired"),
    (jwt.ImmatureSignatureError, "the token is not valid yet"),
    (jwt.InvalidSignatureError, "the token's signature does not match the user pool's key"),
    (_UnknownKey, "the token is signed by a key this user pool does not have"),
    (jwt.InvalidAlgorithmError, "the token is not signed with RS256"),
    (jwt.InvalidIssuerError, "the token was issued by another user pool"),
    (jwt.InvalidIssuedAtError, "the token's iat claim is not a time"),
    (jwt.DecodeError, MALFORMED),
)


def _problem(err: jwt.InvalidTokenError) -> str:
    """What is wrong with a token, in our words: PyJWT's may quote the token's bytes."""
    if isinstance(err, jwt.MissingRequiredClaimError):
        return f"the token has no {err.claim} claim"
    return next(
        (text for kind, text in _PROBLEMS if isinstance(err, kind)), "the token is not valid"
    )


class TokenVerifier:
    """Verifies tokens of one pool and one app client; safe to share across threads."""

    def __init__(
        self,
        *,
        issuer: str,
        client_id: str,
        jwks_url: str,
        timeout: float = 5,
        refresh_interval: float = 1.0,
    ) -> None:
        self._issuer = issuer
        self._client_id = client_id
        self._jwks = jwt.PyJWKClient(jwks_url, cache_keys=False, lifespan=10**9, timeout=timeout)
        self._refresh_interval = refresh_interval
        self._fetched = False
        self._last_fetch = 0.0
        self._lock = threading.Lock()

    def verify(self, token: str) -> SignedInUser:
        """The user a valid token names; ``InvalidToken`` or ``BadUsername`` otherwise
        (``KeysUnavailable`` when the key set cannot be fetched)."""
        try:
            key = self._signing_key(jwt.get_unverified_header(token).get("kid"))
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=_ALGORITHMS,
                issuer=self._issuer,
                options={"require": ["exp", "iss", "token_use"], "verify_aud": False},
            )
        except (jwt.PyJWKClientError, jwt.PyJWKSetError) as err:  # the pool's side, not the token
            raise KeysUnavailable(
                f"the user pool's signing keys could not be fetched: {err}"
            ) from None
        except jwt.InvalidTokenError as err:
            raise InvalidToken(_problem(err)) from None
        except UnicodeError:  # a str PyJWT cannot encode to bytes
            raise InvalidToken(MALFORMED) from None
        token_use = claims["token_use"]
        if token_use not in _USERNAME_CLAIM:
            raise InvalidToken("the token is neither an id token nor an access token")
        client = claims.get("aud") if token_use == "id" else claims.get("client_id")
        if client != self._client_id:
            raise InvalidToken("the token was issued to another app client")
        username = claims.get(_USERNAME_CLAIM[token_use])
        if username is None:
            raise InvalidToken(f"the token has no {_USERNAME_CLAIM[token_use]} claim")
        if not is_user_id(username):
            raise BadUsername(f"username {username!r} is not 1-64 of A-Z, a-z, 0-9, '_' or '-'")
        return SignedInUser(user_id=username, token_use=token_use)

    def _signing_key(self, kid: object) -> Any:
        with self._lock:  # one fetch at a time, however many requests wait on it
            if not self._fetched:
                self._fetch()
            key = self._find(kid)
            if key is None and time.monotonic() - self._last_fetch >= self._refresh_interval:
                self._fetch(refresh=True)
                key = self._find(kid)
        if key is None:
            raise _UnknownKey()
        return key

    def _fetch(self, refresh: bool = False) -> None:
        self._fetched, self._last_fetch = True, time.monotonic()
        self._jwks.get_jwk_set(refresh=refresh)

    def _find(self, kid: object) -> Any:
        keys = self._jwks.get_signing_keys()
        return next((k.key for k in keys if k.key_id == kid), None)
