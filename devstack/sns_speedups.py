"""SNS's deliveries to SQS signed with one key and one certificate per emulator process,
not a new RSA key per subscription and a new certificate per message.

Why: every feed message the fan-out publishes reaches its worker through an SQS queue
subscribed to a topic (``local_runtime/sns.py``), and moto 5.2.5 signs each delivery as
SNS does (``Subscription.get_post_data``). To do so it generates a 2,048-bit RSA key the
first time a subscription delivers (30-300 ms of CPU each: key generation draws random
primes), and for every message builds and signs a new X.509 certificate, then keeps its
PEM under a new name for as long as the process lives. Profiled (py-spy, 200 Hz, the
emulator during ``make bench``, 2026-12-08), that signing took 9.4 % of the emulator's
samples: 4.4 % generating keys inside the measured burst, the rest certificates and
signatures; a delivery cost 0.59 ms of CPU, of which the message's own signature is
0.29 ms.

What changes, and why it answers the same: ``Subscription.get_post_data`` builds the
same envelope as moto's (the same fields and values: ``Type``, ``MessageId``,
``TopicArn``, ``Message``, ``Timestamp``, ``SignatureVersion`` "2", ``Signature``,
``SigningCertURL``, ``UnsubscribeURL``, and ``Subject`` and ``MessageAttributes`` when
given) and signs the same text with the same algorithm (moto's string to sign:
``Message``, ``MessageId``, ``Timestamp``, ``TopicArn``, ``Type``; RSA PKCS#1 v1.5 with
SHA-256). The key and its certificate (moto's subject and issuer, valid from the first
delivery for 365 days) are made once per process, at the first delivery, and the PEM
is stored once under one name, in the region's default-account backend where moto's
``serve_pem`` finds it (again after moto's reset API empties the backends). So every
delivery's ``SigningCertURL`` names the same certificate, which is what SNS itself does:
one signing certificate per region, rotated now and then, not one per message; a
signature verifies with that certificate as it verified with moto's. Nothing in the
product reads either.

Checked: ``tests/unit/test_sns_speedups.py`` delivers the same messages through moto
with and without this, requires the same envelopes but for the per-message fields
(``MessageId``, ``Timestamp``, ``Signature``, ``SigningCertURL``), and verifies every
signature against the served certificate. Written by hand: no library speeds moto up.
"""

from __future__ import annotations

import base64
import functools
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from .patches import Patches
from .query_index import check_moto_version

__all__ = ["install", "installed", "uninstall"]

_patches = Patches()


@dataclass(frozen=True)
class _Signing:
    """The process's one key, its certificate's PEM, and the name it is served under."""

    key: Any
    pem: bytes
    name: str


@functools.cache
def _signing() -> _Signing:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID
    from moto.core.utils import utcnow
    from moto.moto_api._internal import mock_random

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    issuer = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Amazon"),
        x509.NameAttribute(NameOID.COMMON_NAME, "Amazon RSA 2048 M01"),
    ]
    now = utcnow()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")]))
        .issuer_name(x509.Name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    name = f"SimpleNotificationService-{mock_random.uuid4().hex}.pem"
    return _Signing(key, certificate.public_bytes(serialization.Encoding.PEM), name)


def _post_data(
    subscription: Any,
    message: str,
    message_id: str,
    subject: str | None,
    message_attributes: dict[str, Any] | None = None,
) -> dict[str, Any]:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.core.utils import iso_8601_datetime_with_milliseconds
    from moto.sns.models import sns_backends

    signing = _signing()
    topic = subscription.topic
    region = topic.sns_backend.region_name
    served = sns_backends[DEFAULT_ACCOUNT_ID][region]._message_public_keys
    served.setdefault(signing.name, signing.pem)
    timestamp = iso_8601_datetime_with_milliseconds()
    signed = (
        f"Message\n{message}\nMessageId\n{message_id}\nTimestamp\n{timestamp}\n"
        f"TopicArn\n{topic.arn}\nType\nNotification\n"
    )
    signature = signing.key.sign(signed.encode("UTF-8"), padding.PKCS1v15(), hashes.SHA256())
    post_data: dict[str, Any] = {
        "Type": "Notification",
        "MessageId": message_id,
        "TopicArn": topic.arn,
        "Message": message,
        "Timestamp": timestamp,
        "SignatureVersion": "2",
        "Signature": base64.b64encode(signature).decode("utf-8"),
        "SigningCertURL": f"https://sns.{region}.amazonaws.com/{signing.name}",
        "UnsubscribeURL": (
            "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn="
            f"arn:aws:sns:us-east-1:{subscription.account_id}:{topic.name}"
            ":2bcfbf39-05c3-41de-beaa-fcfcc21c8f55"
        ),
    }
    if subject:
        post_data["Subject"] = subject
    if message_attributes:
        post_data["MessageAttributes"] = message_attributes
    return post_data


def install() -> None:
    """Sign deliveries with the process's one key; refused unless the moto it was
    written for is installed."""
    if installed():
        return
    check_moto_version()
    from moto.sns.models import Subscription

    _patches.replace(Subscription, "get_post_data", _post_data)


def installed() -> bool:
    return bool(_patches)


def uninstall() -> None:
    """Put moto's own back (for tests that compare both in one process)."""
    _patches.restore()
