"""Identity settings from the environment, and the rules of who may act for whom."""

from __future__ import annotations

import pytest

from chalicelib.identity.access import NotAllowed, SignedInUser, acting_author, check_acting_for
from chalicelib.identity.settings import IdentitySettings, IdentitySettingsError, parse_origins


def test_issuer_and_jwks_location_follow_from_the_pool_id_on_aws():
    settings = IdentitySettings.from_environ(
        {"USER_POOL_ID": "eu-west-1_AbC123", "USER_POOL_CLIENT_ID": "client"}
    )
    assert settings == IdentitySettings(
        user_pool_id="eu-west-1_AbC123",
        client_id="client",
        issuer="https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123",
        jwks_url="https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123/.well-known/jwks.json",
    )


def test_the_local_stage_sets_the_jwks_location_and_keeps_the_aws_issuer():
    settings = IdentitySettings.from_environ(
        {
            "USER_POOL_ID": "us-east-1_0a1b2c",
            "USER_POOL_CLIENT_ID": "client",
            "USER_POOL_JWKS_URL": "http://127.0.0.1:4566/us-east-1_0a1b2c/.well-known/jwks.json",
        }
    )
    assert settings.issuer == "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_0a1b2c"
    assert settings.jwks_url == "http://127.0.0.1:4566/us-east-1_0a1b2c/.well-known/jwks.json"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"USER_POOL_CLIENT_ID": "c"}, "environment variable USER_POOL_ID is not set"),
        ({"USER_POOL_ID": "us-east-1_x"}, "environment variable USER_POOL_CLIENT_ID is not set"),
        (
            {"USER_POOL_ID": "pool", "USER_POOL_CLIENT_ID": "c"},
            "USER_POOL_ID must look like us-east-1_AbC123, got 'pool'",
        ),
    ],
)
def test_missing_or_malformed_pool_settings_are_named(env, message):
    with pytest.raises(IdentitySettingsError) as err:
        IdentitySettings.from_environ(env)
    assert str(err.value) == message


def test_cors_origins_are_a_comma_separated_list():
    assert parse_origins(" https://app.example.com/, http://localhost:3000 ,") == frozenset(
        {"https://app.example.com", "http://localhost:3000"}
    )
    assert parse_origins("") == frozenset()


@pytest.mark.parametrize("raw", ["*", "app.example.com", "https://app.example.com/path"])
def test_a_wildcard_or_a_non_origin_is_refused(raw):
    with pytest.raises(IdentitySettingsError):
        parse_origins(raw)


ALICE = SignedInUser("alice", "id")


def test_acting_for_passes_when_the_user_is_one_of_the_fields():
    check_acting_for(ALICE, {"follower_id": "bob", "user_id": "alice"})


def test_acting_for_someone_else_names_the_fields():
    with pytest.raises(NotAllowed) as refused:
        check_acting_for(ALICE, {"follower_id": "bob", "user_id": "carol"})
    assert str(refused.value) == "follower_id or user_id: must be the signed-in user alice"


def test_the_author_is_the_signed_in_user_whether_named_or_not():
    assert acting_author(ALICE, None) == "alice"
    assert acting_author(ALICE, "alice") == "alice"
    with pytest.raises(NotAllowed, match="author_id: must be the signed-in user alice"):
        acting_author(ALICE, "bob")
