"""The pre sign-up trigger refuses usernames outside the user id format."""

from __future__ import annotations

import pytest

from chalicelib.identity.pre_sign_up import UsernameRefused, check_sign_up


def _event(username: str) -> dict:
    """A PreSignUp_SignUp event as Cognito sends it (the fields the trigger reads)."""
    return {
        "version": "1",
        "region": "us-east-1",
        "userPoolId": "us-east-1_AbC123",
        "userName": username,
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "client"},
        "triggerSource": "PreSignUp_SignUp",
        "request": {"userAttributes": {}, "validationData": None},
        "response": {"autoConfirmUser": False, "autoVerifyEmail": False, "autoVerifyPhone": False},
    }


@pytest.mark.parametrize("username", ["alice", "a", "Bob_2-x", "x" * 64])
def test_a_username_in_the_id_format_signs_up_unchanged(username):
    event = _event(username)
    assert check_sign_up(event) == _event(username)


@pytest.mark.parametrize("username", ["", "has space", "x" * 65, "alice@example.com", "ünï"])
def test_any_other_username_is_refused(username):
    with pytest.raises(UsernameRefused) as refused:
        check_sign_up(_event(username))
    assert str(refused.value) == (
        f"username {username!r} must be 1-64 characters of A-Z, a-z, 0-9, '_' or '-'"
    )
