"""Envelope encryption: the config key's name is bound into every ciphertext."""

from __future__ import annotations

import pytest

from chalicelib.config.crypto import KmsEnvelopeCipher, SecretUnreadable


def test_a_ciphertext_decrypts_under_its_own_key_name_only(cipher):
    sealed = cipher.encrypt("db.password", b'"hunter2"')
    assert b"hunter2" not in sealed.encode()
    assert cipher.decrypt("db.password", sealed) == b'"hunter2"'
    with pytest.raises(SecretUnreadable) as refused:
        cipher.decrypt("db.password2", sealed)
    assert "hunter2" not in str(refused.value)


def test_every_encryption_uses_a_fresh_data_key(cipher):
    assert cipher.encrypt("k", b"same") != cipher.encrypt("k", b"same")


@pytest.mark.parametrize("garbage", ["", "not base64!", "eyJ2IjoxfQ=="])
def test_a_ciphertext_that_is_not_ours_is_refused(cipher, garbage):
    with pytest.raises(SecretUnreadable):
        cipher.decrypt("k", garbage)


def test_another_kms_key_cannot_open_it(cipher, kms):
    from chalicelib.config.memory import MemoryKms

    sealed = cipher.encrypt("k", b"v")
    with pytest.raises(SecretUnreadable):
        KmsEnvelopeCipher(MemoryKms(), "alias/other").decrypt("k", sealed)
