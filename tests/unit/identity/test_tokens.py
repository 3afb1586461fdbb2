"""TokenVerifier against a JWKS served over HTTP, with tokens signed by our own keys."""

from __future__ import annotations

import base64
import time

import jwt
import pytest

from chalicelib.identity.access import SignedInUser
from chalicelib.identity.tokens import BadUsername, InvalidToken, KeysUnavailable, TokenVerifier

from .keys import CLIENT_ID, ISSUER, JwksServer, SigningKey, access_claims, id_claims, serve_jwks


@pytest.fixture(scope="module")
def first_key() -> SigningKey:
    """One RSA key for the module: making one is the slowest step of these tests, and no
    test changes it (a test that needs another key makes its own)."""
    return SigningKey("key-1")


@pytest.fixture
def jwks(first_key):
    with serve_jwks(JwksServer(first_key)) as server:
        yield server


def _verifier(jwks: JwksServer, refresh_interval: float = 0) -> TokenVerifier:
    return TokenVerifier(
        issuer=ISSUER, client_id=CLIENT_ID, jwks_url=jwks.url, refresh_interval=refresh_interval
    )


def test_an_id_token_names_its_cognito_username(jwks, first_key):
    token = first_key.sign(id_claims("alice"))
    assert _verifier(jwks).verify(token) == SignedInUser(user_id="alice", token_use="id")


def test_an_access_token_names_its_username(jwks, first_key):
    token = first_key.sign(access_claims("bob_2"))
    assert _verifier(jwks).verify(token) == SignedInUser(user_id="bob_2", token_use="access")


def test_the_key_set_is_fetched_once_for_many_tokens(jwks, first_key):
    verifier = _verifier(jwks)
    for name in ["a", "b", "c"]:
        verifier.verify(first_key.sign(id_claims(name)))
    assert jwks.fetches == 1


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        (id_claims("alice", exp=int(time.time()) - 1), "the token has expired"),
        (
            id_claims("alice", iss="https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other"),
            "the token was issued by another user pool",
        ),
        (id_claims("alice", aud="another-client"), "the token was issued to another app client"),
        (
            access_claims("alice", client_id="another-client"),
            "the token was issued to another app client",
        ),
        (
            id_claims("alice", token_use="refresh"),
            "the token is neither an id token nor an access token",
        ),
        (
            id_claims("alice", **{"cognito:username": None}),
            "the token has no cognito:username claim",
        ),
        (id_claims("alice", nbf=int(time.time()) + 600), "the token is not valid yet"),
        (id_claims("alice", exp="tomorrow"), "the token is malformed: not a JWT"),
    ],
    ids=[
        "expired",
        "other-pool",
        "other-client-id",
        "other-client-access",
        "use",
        "no-username",
        "not-yet",
        "exp-not-a-number",
    ],
)
def test_a_token_failing_a_check_is_refused_naming_the_check(jwks, first_key, claims, message):
    if claims.get("cognito:username", "") is None:
        del claims["cognito:username"]
    with pytest.raises(InvalidToken) as refused:
        _verifier(jwks).verify(first_key.sign(claims))
    assert str(refused.value) == message


def test_a_token_without_token_use_is_refused(jwks, first_key):
    claims = id_claims("alice")
    del claims["token_use"]
    with pytest.raises(InvalidToken) as refused:
        _verifier(jwks).verify(first_key.sign(claims))
    assert str(refused.value) == "the token has no token_use claim"


def test_a_token_signed_by_another_key_under_a_known_key_id_is_refused(jwks):
    forger = SigningKey("key-1")  # same kid, different key
    with pytest.raises(InvalidToken) as refused:
        _verifier(jwks).verify(forger.sign(id_claims("alice")))
    assert str(refused.value) == "the token's signature does not match the user pool's key"


def test_a_token_of_an_unknown_key_is_refused_after_one_refetch(jwks):
    stranger = SigningKey("key-x")
    with pytest.raises(InvalidToken) as refused:
        _verifier(jwks).verify(stranger.sign(id_claims("alice")))
    assert str(refused.value) == "the token is signed by a key this user pool does not have"
    assert jwks.fetches == 2  # the first fetch, and one refresh for the unknown kid


@pytest.mark.parametrize("algorithm", ["none", "HS256"])
def test_unsigned_or_symmetric_tokens_are_refused(jwks, algorithm):
    key = "" if algorithm == "none" else "a-shared-secret-of-32-bytes-long!"
    token = jwt.encode(
        id_claims("alice"), key or None, algorithm=algorithm, headers={"kid": "key-1"}
    )
    with pytest.raises(InvalidToken) as refused:
        _verifier(jwks).verify(token)
    assert str(refused.value) == "the token is not signed with RS256"


def _segment(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "token",
    [
        "",
        "not-a-jwt",
        "a.b.c",
        # a header that is not UTF-8: PyJWT's message quotes the decoder ("can't decode
        # byte 0xb7"), which a caller must never see
        f"{_segment(bytes([0xB7, 0xFF, 0x01]))}.{_segment(b'{}')}.c2ln",
        f"{_segment(b'[1, 2]')}.{_segment(b'{}')}.c2ln",  # a header that is not an object
        "\udcb7.e30.c2ln",  # a str that is not even encodable
    ],
    ids=["empty", "one-part", "not-base64-json", "header-not-utf8", "header-a-list", "surrogate"],
)
def test_a_malformed_token_is_refused_as_malformed_without_the_decoders_words(jwks, token):
    with pytest.raises(InvalidToken) as refused:
        _verifier(jwks).verify(token)
    assert str(refused.value) == "the token is malformed: not a JWT"


def test_a_rotated_signing_key_is_picked_up_on_its_first_token(jwks, first_key):
    # GIVEN a verifier that has fetched the pool's keys
    verifier = _verifier(jwks)
    assert verifier.verify(first_key.sign(id_claims("alice"))).user_id == "alice"
    # WHEN the pool rotates to a new key and signs a token with it
    second_key = SigningKey("key-2")
    jwks.publish(second_key)
    # THEN the new key id triggers one refetch and the token verifies
    assert verifier.verify(second_key.sign(id_claims("bob"))).user_id == "bob"
    assert jwks.fetches == 2
    # AND the retired key is gone with the old set
    with pytest.raises(InvalidToken):
        verifier.verify(first_key.sign(id_claims("alice")))


def test_unknown_key_ids_refetch_at_most_once_per_interval(jwks, first_key):
    verifier = _verifier(jwks, refresh_interval=3600)
    verifier.verify(first_key.sign(id_claims("alice")))
    for number in range(5):
        with pytest.raises(InvalidToken):
            verifier.verify(SigningKey(f"forged-{number}").sign(id_claims("alice")))
    assert jwks.fetches == 1


def test_a_username_outside_the_user_id_format_is_a_bad_username(jwks, first_key):
    with pytest.raises(BadUsername):
        _verifier(jwks).verify(first_key.sign(id_claims("has space")))


def test_an_unreachable_key_set_is_keys_unavailable_not_an_invalid_token(first_key):
    verifier = TokenVerifier(
        issuer=ISSUER, client_id=CLIENT_ID, jwks_url="http://127.0.0.1:9/jwks.json", timeout=1
    )
    with pytest.raises(KeysUnavailable, match="could not be fetched"):
        verifier.verify(first_key.sign(id_claims("alice")))


def test_a_key_set_without_keys_is_keys_unavailable_not_an_invalid_token(first_key):
    # GIVEN a JWKS endpoint that answers, with no key in it (the pool's fault, not the token's)
    # WHEN a token is checked THEN it is a 503 case, not a 401 (nor an unhandled error)
    with (
        serve_jwks(JwksServer()) as empty,
        pytest.raises(KeysUnavailable, match="could not be fetched"),
    ):
        _verifier(empty).verify(first_key.sign(id_claims("alice")))
