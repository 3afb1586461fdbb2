"""Sign-in on every user route: each kind of token gets its exact status and body, and
a refused request writes nothing. Tokens come from the emulator's user pool, signed
in through the app client as a client would; the few a pool never issues (expired,
an odd username, a forged key) are signed here with only the claim under test changed.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import boto3
import jwt
import pytest
from chalice.test import Client
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from moto.utilities.utils import load_resource

from devstack.stack import PROJECT_DIR
from devstack.user_pool import UserPool, create_user, sign_in
from tests.chalice_app import load_app

pytestmark = pytest.mark.emulator

LISTED_ORIGIN = "http://localhost:3000"  # .chalice/config.json, stage local


@pytest.fixture(scope="module")
def client(stage_environment):
    with Client(load_app(), stage_name="local", project_dir=str(PROJECT_DIR)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def other_pool_token(emulator_endpoint) -> str:
    """A genuine id token of another pool on the same emulator (same key, other issuer)."""
    cognito = boto3.client("cognito-idp")
    pool_id = cognito.create_user_pool(PoolName="someone-elses-pool")["UserPool"]["Id"]
    client_id = cognito.create_user_pool_client(UserPoolId=pool_id, ClientName="theirs")
    pool = UserPool(pool_id, client_id["UserPoolClient"]["ClientId"])
    create_user(cognito, pool, "intruder")
    return str(sign_in(cognito, pool, "intruder")["IdToken"])


def _pool_claims(pool: UserPool, username: str, **changes: object) -> dict:
    now = int(time.time())
    claims = {
        "iss": f"https://cognito-idp.us-east-1.amazonaws.com/{pool.pool_id}",
        "aud": pool.client_id,
        "token_use": "id",
        "iat": now - 7200,
        "exp": now + 3600,
        "cognito:username": username,
    }
    return {**claims, **changes}


def _signed(claims: dict, key: object) -> dict[str, str]:
    """Bearer header of a token with moto's key id ("dummy"), signed with ``key``."""
    token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "dummy"})  # type: ignore[arg-type]
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def pool_key() -> object:
    """The key moto signs every pool's tokens with: its JWKS document publishes it."""
    return RSAAlgorithm.from_jwk(
        json.dumps(load_resource("cognitoidp/resources/jwks-private.json"))
    )


@pytest.fixture(scope="module")
def forged_key() -> object:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # {me}: the caller; {other}: the user on the other side
    body: str | None
    ok: int
    refusal: str  # the 403 error for a signed-in stranger, {who} being the stranger
    setup: tuple[tuple[str, str], ...] = ()  # (follow path, who follows) before the call
    writes: tuple[str, ...] = ()  # what the call changes when served


STREAM = "stream:yubl-posted-local"
# a follow or unfollow: the relationship, the author's follower count, and its event
RELATIONSHIP = ("table:authors-local", "table:relationships-local", STREAM)

ROUTES = {
    "post": Route(
        "POST", "/yubls", '{"author_id": "{me}", "text": "hi"}', 202,
        "author_id: must be the signed-in user {who}", writes=(STREAM,),
    ),
    "follow": Route(
        "PUT", "/users/{other}/followers/{me}", None, 204,
        "follower_id: must be the signed-in user {who}", writes=RELATIONSHIP,
    ),
    "unfollow": Route(
        "DELETE", "/users/{other}/followers/{me}", None, 204,
        "follower_id or user_id: must be the signed-in user {who}",
        setup=(("/users/{other}/followers/{me}", "me"),), writes=RELATIONSHIP,
    ),
    "remove-follower": Route(
        "DELETE", "/users/{me}/followers/{other}", None, 204,
        "follower_id or user_id: must be the signed-in user {who}",
        setup=(("/users/{me}/followers/{other}", "other"),), writes=RELATIONSHIP,
    ),
    "feed": Route(
        "GET", "/users/{me}/feed", None, 200, "user_id: must be the signed-in user {who}",
        writes=("table:activity-local",),  # a read records its reader (services/activity.py)
    ),
}  # fmt: skip

NO_TOKEN = (401, "Bearer", "Authorization: a bearer token is required")
INVALID = 'Bearer error="invalid_token"'
REFUSALS = {
    "no-token": NO_TOKEN,
    "not-a-bearer-token": NO_TOKEN,
    "expired": (401, INVALID, "Authorization: the token has expired"),
    "other-pool": (401, INVALID, "Authorization: the token was issued by another user pool"),
    "other-key": (
        401, INVALID, "Authorization: the token's signature does not match the user pool's key",
    ),
    "malformed": (401, INVALID, "Authorization: the token is malformed: not a JWT"),
    "other-client": (401, INVALID, "Authorization: the token was issued to another app client"),
}  # fmt: skip


class Caller:
    """The users of one test and the Authorization header of each kind of token."""

    def __init__(
        self, unique, signed_in, user_pool, pool_key, forged_key, other_pool_token, written
    ):
        self.written = written
        self.me, self.other, self.stranger = (f"{unique}-{n}" for n in ("me", "other", "x"))
        self.signed_in = signed_in
        me = self.me
        self.headers = {
            "no-token": {},
            "not-a-bearer-token": {"Authorization": f"Basic {me}"},
            "expired": _signed(_pool_claims(user_pool, me, exp=int(time.time()) - 60), pool_key),
            "other-pool": {"Authorization": f"Bearer {other_pool_token}"},
            "other-key": _signed(_pool_claims(user_pool, me), forged_key),
            "other-client": _signed(_pool_claims(user_pool, me, aud="another-client"), pool_key),
            # a header segment that is not UTF-8 (PyJWT's message would quote the decoder)
            "malformed": {"Authorization": "Bearer t7f_.e30.c2ln"},
            "bad-username": _signed(_pool_claims(user_pool, "has space"), pool_key),
        }

    def fill(self, text: str) -> str:
        return text.replace("{me}", self.me).replace("{other}", self.other)

    def header(self, case: str) -> dict[str, str]:
        if case == "stranger":
            return self.signed_in(self.stranger)
        if case == "right":
            return self.signed_in(self.me)
        return self.headers[case]

    def call(self, client: Client, route: Route, case: str):
        headers = {"Content-Type": "application/json", **self.header(case)}
        body = self.fill(route.body) if route.body else None
        return client.http.request(route.method, self.fill(route.path), headers=headers, body=body)

    def prepare(self, client: Client, route: Route) -> None:
        for path, who in route.setup:
            actor = self.me if who == "me" else self.other
            response = client.http.put(self.fill(path), headers=self.signed_in(actor))
            assert response.status_code == 204

    def attempt(self, client: Client, route: Route, case: str) -> tuple[Any, list[str]]:
        """Call ``route`` with ``case``'s token after its setup: the response, and what
        changed of everything the app could write (every table, queue, stream and bucket
        of the template: ``tests/written_state.py``)."""
        self.prepare(client, route)
        self.header(case)  # a signed-in caller's account is made first, as a sign-up makes it
        before = self.written.snapshot()
        response = self.call(client, route, case)
        return response, self.written.changed(before)


@pytest.fixture
def caller(
    unique, signed_in, account, user_pool, pool_key, forged_key, other_pool_token, written
) -> Caller:
    made = Caller(unique, signed_in, user_pool, pool_key, forged_key, other_pool_token, written)
    account(made.me), account(made.other)  # a follow names users who exist
    return made


def _json(response) -> dict:
    return json.loads(response.body)


@pytest.mark.parametrize("case", sorted(REFUSALS))
@pytest.mark.parametrize("name", sorted(ROUTES))
def test_a_missing_or_bad_token_is_401_with_a_bearer_challenge_and_writes_nothing(
    client, caller, name, case
):
    response, wrote = caller.attempt(client, ROUTES[name], case)
    status, challenge, error = REFUSALS[case]
    assert (response.status_code, _json(response)) == (status, {"error": error})
    assert response.headers["WWW-Authenticate"] == challenge
    assert not wrote


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_another_users_token_is_403_and_writes_nothing(client, caller, name):
    response, wrote = caller.attempt(client, ROUTES[name], "stranger")
    error = ROUTES[name].refusal.format(who=caller.stranger)
    assert (response.status_code, _json(response)) == (403, {"error": error})
    assert "WWW-Authenticate" not in response.headers
    assert not wrote


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_a_username_outside_the_id_format_is_403_and_writes_nothing(client, caller, name):
    response, wrote = caller.attempt(client, ROUTES[name], "bad-username")
    error = "Authorization: username 'has space' is not 1-64 of A-Z, a-z, 0-9, '_' or '-'"
    assert (response.status_code, _json(response)) == (403, {"error": error})
    assert not wrote


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_the_right_token_is_served(client, caller, name):
    response, wrote = caller.attempt(client, ROUTES[name], "right")
    assert response.status_code == ROUTES[name].ok
    assert wrote == sorted(ROUTES[name].writes)


def test_an_access_token_serves_as_well_as_an_id_token(client, caller, user_pool):
    create_user(boto3.client("cognito-idp"), user_pool, caller.me)
    token = sign_in(boto3.client("cognito-idp"), user_pool, caller.me)["AccessToken"]
    response = client.http.get(
        f"/users/{caller.me}/feed", headers={"Authorization": f"Bearer {token}"}
    )
    assert (response.status_code, _json(response)) == (200, {"items": [], "next_cursor": None})


@pytest.mark.parametrize("path", ["/health", "/users/someone/followers"])
def test_public_routes_ignore_the_authorization_header(client, path):
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        assert client.http.get(path, headers=headers).status_code == 200


def test_the_preflight_allows_the_authorization_header_from_a_listed_origin(client):
    response = client.http.request(
        "OPTIONS",
        "/users/alice/feed",
        headers={"Origin": LISTED_ORIGIN, "Access-Control-Request-Headers": "authorization"},
    )
    assert response.status_code == 204
    assert {k: v for k, v in response.headers.items() if k.startswith("Access-Control")} == {
        "Access-Control-Allow-Origin": LISTED_ORIGIN,
        "Access-Control-Allow-Methods": "GET,OPTIONS",
        "Access-Control-Allow-Headers": "Authorization,Content-Type,x-correlation-id",
        "Access-Control-Max-Age": "600",
        "Access-Control-Expose-Headers": "WWW-Authenticate,x-correlation-id",
    }


def test_an_unlisted_origin_gets_no_cors_headers(client):
    response = client.http.request(
        "OPTIONS", "/users/alice/feed", headers={"Origin": "https://evil.example"}
    )
    assert response.status_code == 204
    assert [k for k in response.headers if k.startswith("Access-Control")] == []


def test_a_browser_can_read_the_401_of_a_listed_origin(client):
    response = client.http.get("/users/alice/feed", headers={"Origin": LISTED_ORIGIN})
    assert response.status_code == 401
    assert response.headers["Access-Control-Allow-Origin"] == LISTED_ORIGIN
    assert "WWW-Authenticate" in response.headers["Access-Control-Expose-Headers"]
