"""Envelope encryption of secrets: a fresh KMS data key per value, AES-256-GCM locally.

KMS ``GenerateDataKey`` returns a data key in plaintext and encrypted under the stage's
key; the value is sealed with AES-GCM (``cryptography``'s AESGCM) and only the encrypted
data key is kept. The config key's name is bound twice: as the KMS encryption context
(KMS refuses to decrypt the data key under another name) and as AES-GCM associated data.
So a ciphertext copied to another config key never decrypts.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from typing import Any

from botocore.exceptions import ClientError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = ["ENCRYPTION_CONTEXT_KEY", "KmsEnvelopeCipher", "SecretUnreadable", "encryption_context"]

ENCRYPTION_CONTEXT_KEY = "config_key"
_FORMAT = 1


class SecretUnreadable(Exception):
    """The ciphertext is not ours, or belongs to another config key. Never holds plaintext."""


def encryption_context(key: str) -> dict[str, str]:
    return {ENCRYPTION_CONTEXT_KEY: key}


def _aad(key: str) -> bytes:
    return f"yubl-config/{key}".encode()


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


class KmsEnvelopeCipher:
    """``kms`` is a boto3 KMS client (or its in-memory twin); ``key_id`` an id, ARN or alias."""

    def __init__(self, kms: Any, key_id: str) -> None:
        self._kms = kms
        self._key_id = key_id

    def encrypt(self, key: str, plaintext: bytes) -> str:
        data_key = self._kms.generate_data_key(
            KeyId=self._key_id, KeySpec="AES_256", EncryptionContext=encryption_context(key)
        )
        nonce = os.urandom(12)
        sealed = AESGCM(data_key["Plaintext"]).encrypt(nonce, plaintext, _aad(key))
        envelope = {
            "v": _FORMAT,
            "key": _b64(data_key["CiphertextBlob"]),
            "nonce": _b64(nonce),
            "data": _b64(sealed),
        }
        return _b64(json.dumps(envelope, separators=(",", ":")).encode())

    def decrypt(self, key: str, ciphertext: str) -> bytes:
        try:
            envelope = json.loads(base64.b64decode(ciphertext, validate=True))
            encrypted_key, nonce, sealed = (
                base64.b64decode(envelope[name], validate=True) for name in ("key", "nonce", "data")
            )
        except (binascii.Error, ValueError, KeyError, TypeError):
            raise SecretUnreadable(f"{key}: not a config service ciphertext") from None
        try:
            data_key = self._kms.decrypt(
                CiphertextBlob=encrypted_key, EncryptionContext=encryption_context(key)
            )["Plaintext"]
        except ClientError as err:
            code = err.response.get("Error", {}).get("Code", "")
            if code in ("InvalidCiphertextException", "IncorrectKeyException"):
                raise SecretUnreadable(f"{key}: KMS refused the data key ({code})") from None
            raise
        try:
            return AESGCM(data_key).decrypt(nonce, sealed, _aad(key))
        except InvalidTag:
            raise SecretUnreadable(f"{key}: the sealed value does not match its key") from None
