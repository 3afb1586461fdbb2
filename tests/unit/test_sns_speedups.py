"""SNS's deliveries signed once per process deliver what moto's own do (devstack.sns_speedups).

The same publishes (one message with a subject and attributes, a batch of ten) reach
two SQS subscribers through moto in this process, once with its own code and once with
the speed-up. The envelopes must be the same but for the fields that differ per message
(``MessageId``, ``Timestamp``, ``Signature``, ``SigningCertURL``), and every signature
must verify against the certificate moto serves under the envelope's ``SigningCertURL``,
over the text SNS's signature version 2 covers as moto signs it (built here). Checked to
fail: a signature over other text, or a certificate served under another name.
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any

import boto3
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sns.models import sns_backends

from devstack import sns_speedups

PER_MESSAGE = ("MessageId", "Timestamp", "Signature", "SigningCertURL")


def _deliveries() -> tuple[list[dict[str, Any]], dict[str, bytes]]:
    """Every envelope the two queues received, sorted by message, and the PEMs served,
    on a fresh moto (``mock_aws`` resets every backend as it starts)."""
    with mock_aws():
        sns = boto3.client("sns", region_name="us-east-1")
        sqs = boto3.client("sqs", region_name="us-east-1")
        topic = sns.create_topic(Name="feed")["TopicArn"]
        urls = []
        for name in ("feed-a", "feed-b"):
            url = sqs.create_queue(QueueName=name)["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
            sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn["Attributes"]["QueueArn"])
            urls.append(url)
        sns.publish(
            TopicArn=topic,
            Message="one",
            Subject="hello",
            MessageAttributes={"correlation_id": {"DataType": "String", "StringValue": "c-1"}},
        )
        entries = [{"Id": str(i), "Message": f"batch {i}"} for i in range(10)]
        sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=entries)
        envelopes = []
        for url in urls:
            while answer := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10):
                if not answer.get("Messages"):
                    break
                for message in answer["Messages"]:
                    envelopes.append(json.loads(message["Body"]))
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        served = dict(sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]._message_public_keys)
    return sorted(envelopes, key=lambda e: (e["Message"], e["MessageId"])), served


def _verified(envelope: dict[str, Any], served: dict[str, bytes]) -> bool:
    pem = served[envelope["SigningCertURL"].rsplit("/", 1)[1]]
    signed = "".join(
        f"{name}\n{envelope[name]}\n"
        for name in ("Message", "MessageId", "Timestamp", "TopicArn", "Type")
    )
    key = x509.load_pem_x509_certificate(pem).public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    key.verify(  # raises InvalidSignature
        base64.b64decode(envelope["Signature"]),
        signed.encode(),
        padding.PKCS1v15(),
        hashes.SHA256(),
    )
    return True


def _without_per_message(envelope: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in envelope.items() if name not in PER_MESSAGE}


def test_deliveries_are_the_same_and_signed_with_one_served_certificate(moto_own_code, monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setitem(os.environ, "AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setitem(os.environ, "AWS_SECRET_ACCESS_KEY", "testing")
    stock, stock_served = _deliveries()
    sns_speedups.install()
    ours, ours_served = _deliveries()

    assert [_without_per_message(e) for e in ours] == [_without_per_message(e) for e in stock]
    assert len(ours) == 22  # eleven messages, two subscribers
    first = ours[-1]  # "one", the published message, sorts after "batch ..."
    assert (first["Message"], first["Subject"]) == ("one", "hello")
    assert first["MessageAttributes"] == {"correlation_id": {"Type": "String", "Value": "c-1"}}
    assert all(_verified(e, stock_served) for e in stock)
    assert all(_verified(e, ours_served) for e in ours)
    # moto keeps a certificate per delivery; here one serves them all
    assert len(stock_served) == 22
    assert len(ours_served) == 1
    assert len({e["SigningCertURL"] for e in ours}) == 1


def test_the_certificate_is_served_again_after_a_reset(moto_own_code, monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setitem(os.environ, "AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setitem(os.environ, "AWS_SECRET_ACCESS_KEY", "testing")
    sns_speedups.install()
    before, _ = _deliveries()
    after, served = _deliveries()  # the second starts from moto's reset: nothing served
    assert before[0]["SigningCertURL"] == after[0]["SigningCertURL"]
    assert all(_verified(e, served) for e in after)
