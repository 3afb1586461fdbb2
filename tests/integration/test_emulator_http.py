"""The emulator's HTTP server (``devstack.emulator_http``): a client's connection stays
open between calls, a long poll waits without holding up other calls, and each request
is logged with its line and status.

Against an emulator of this module's own, started as ``start_emulator`` starts it, so
that an endpoint of ``TEST_AWS_ENDPOINT_URL`` (LocalStack, another server) is not what is
tested.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.emulator import Emulator, start_emulator

pytestmark = pytest.mark.emulator

LIST_TABLES = {
    "X-Amz-Target": "DynamoDB_20120810.ListTables",
    "Content-Type": "application/x-amz-json-1.0",
    "Authorization": "AWS4-HMAC-SHA256 Credential=test/20261207/us-east-1/dynamodb/"
    "aws4_request, SignedHeaders=host, Signature=test",
}


@pytest.fixture(scope="module")
def emulator_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("emulator") / "emulator.log"


@pytest.fixture(scope="module")
def emulator(emulator_log: Path) -> Iterator[Emulator]:
    started = start_emulator(log=emulator_log)
    try:
        yield started
    finally:
        started.stop()


def test_calls_on_one_connection_share_its_socket(emulator: Emulator) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", emulator.port, timeout=10)
    try:
        addresses = []
        for _ in range(3):
            connection.request("POST", "/", body="{}", headers=LIST_TABLES)
            response = connection.getresponse()
            assert response.status == 200
            assert json.loads(response.read()) == {"TableNames": []}
            assert response.getheader("Connection") is None
            assert connection.sock is not None, "the emulator closed the connection"
            addresses.append(connection.sock.getsockname())
        assert len(set(addresses)) == 1
    finally:
        connection.close()


def test_a_long_poll_waits_without_holding_up_other_calls(emulator: Emulator) -> None:
    # GIVEN a long poll of an empty queue, sent (one thread serves every connection)
    sqs = emulator.client("sqs")
    url = sqs.create_queue(QueueName="long-poll")["QueueUrl"]
    poll_sent = threading.Event()
    poller_sqs = emulator.client("sqs")
    poller_sqs.meta.events.register("before-send.sqs.ReceiveMessage", lambda **_: poll_sent.set())
    answers: list[dict] = []
    poller = threading.Thread(
        target=lambda: answers.append(poller_sqs.receive_message(QueueUrl=url, WaitTimeSeconds=20))
    )
    poller.start()
    assert poll_sent.wait(10)
    # WHEN other calls are made while it waits, the last of them sending the message
    assert emulator.client("dynamodb").list_tables()["TableNames"] == []
    sent = sqs.send_message(QueueUrl=url, MessageBody="while the poll waits")
    # THEN they were answered during its wait, and the poll receives that message
    poller.join(30)
    assert not poller.is_alive()
    assert "Messages" in answers[0], "the poll ended empty: the server was held up by it"
    [message] = answers[0]["Messages"]
    assert (message["MessageId"], message["Body"]) == (sent["MessageId"], "while the poll waits")


def test_each_request_is_logged_with_its_line_and_status(
    emulator: Emulator, emulator_log: Path
) -> None:
    dynamodb = emulator.client("dynamodb")
    assert dynamodb.list_tables()["TableNames"] == []
    with pytest.raises(dynamodb.exceptions.ResourceNotFoundException):
        dynamodb.describe_table(TableName="not-there")
    sqs = emulator.client("sqs")
    assert "QueueUrls" not in sqs.list_queues(QueueNamePrefix="not-there")
    expected = [
        '127.0.0.1 "POST / HTTP/1.1" 200',
        '127.0.0.1 "POST / HTTP/1.1" 400',
        '127.0.0.1 "POST / HTTP/1.1" 200',
    ]
    deadline = time.monotonic() + 10
    while (lines := _request_lines(emulator_log))[-3:] != expected and time.monotonic() < deadline:
        time.sleep(0.05)
    assert lines[-3:] == expected


def _request_lines(emulator_log: Path) -> list[str]:
    log = emulator_log.read_text()
    marker = " devstack.emulator INFO "
    return [line.split(marker, 1)[1] for line in log.splitlines() if marker in line]
