"""Signing keys, a tiny JWKS server and Cognito-shaped tokens for the identity tests.

The tests sign their own tokens (moto signs every pool's tokens with one bundled
key, so a key rotation can only be shown with keys of our own).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

POOL_ID = "eu-west-1_TestPool1"
ISSUER = f"https://cognito-idp.eu-west-1.amazonaws.com/{POOL_ID}"
CLIENT_ID = "test-client-1"


class SigningKey:
    def __init__(self, kid: str) -> None:
        self.kid = kid
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def public_jwk(self) -> dict[str, Any]:
        jwk = json.loads(RSAAlgorithm.to_jwk(self.private.public_key()))
        return {**jwk, "kid": self.kid, "alg": "RS256", "use": "sig"}

    def sign(self, claims: dict[str, Any], kid: str | None = None) -> str:
        return jwt.encode(claims, self.private, algorithm="RS256", headers={"kid": kid or self.kid})


def _claims(token_use: str, username: str, changes: dict[str, Any]) -> dict[str, Any]:
    """Claims shaped like Cognito's (as moto issues them) for one kind of token."""
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "sub": "3f1c0d9e-0000-4000-8000-000000000001",
        "token_use": token_use,
        "iat": now,
        "auth_time": now,
        "exp": now + 3600,
    }
    if token_use == "id":
        claims.update({"aud": CLIENT_ID, "cognito:username": username})
    else:
        claims.update(
            {"client_id": CLIENT_ID, "username": username, "scope": "aws.cognito.signin.user.admin"}
        )
    return {**claims, **changes}


def id_claims(username: str, **changes: Any) -> dict[str, Any]:
    return _claims("id", username, changes)


def access_claims(username: str, **changes: Any) -> dict[str, Any]:
    return _claims("access", username, changes)


class JwksServer:
    """Serves ``{"keys": [...]}`` of the keys it currently holds and counts the fetches."""

    def __init__(self, *keys: SigningKey) -> None:
        self.keys = list(keys)
        self.fetches = 0
        self.url = ""

    def publish(self, *keys: SigningKey) -> None:
        self.keys = list(keys)

    def document(self) -> bytes:
        self.fetches += 1
        return json.dumps({"keys": [k.public_jwk() for k in self.keys]}).encode()


@contextmanager
def serve_jwks(server_state: JwksServer) -> Iterator[JwksServer]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = server_state.document()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    # polled every 50 ms, not 0.5 s: shutdown() waits for the next poll, once per test
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    server_state.url = f"http://127.0.0.1:{httpd.server_address[1]}/{POOL_ID}/.well-known/jwks.json"
    try:
        yield server_state
    finally:
        httpd.shutdown()
        httpd.server_close()
