"""``devstack.direct_dispatch.routed``: which requests reach a handler directly, what the
handler is given, and how its result and its two expected exceptions become answers (as
moto's ``convert_to_flask_response`` and Flask make them). Through werkzeug's test
client, with handler classes of the test's own in place of moto's; the answers of moto's
real handlers are compared with stock moto's in ``tests/integration/test_direct_dispatch.py``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from botocore.exceptions import ClientError
from moto.core.request import Request
from werkzeug.exceptions import NotFound
from werkzeug.test import Client
from werkzeug.wrappers import Response

from devstack.direct_dispatch import (
    DYNAMODB_TARGET,
    KINESIS_TARGET,
    SQS_TARGET,
    moto_handlers,
    routed,
)


class Recording:
    calls: ClassVar[list[tuple[Any, str, dict[str, str]]]] = []
    result: ClassVar[Any] = (201, {"x-amz-crc32": "7"}, '{"ok": true}')

    @classmethod
    def dispatch(cls, request: Any, full_url: str, headers: dict[str, str]) -> Any:
        cls.calls.append((request, full_url, headers))
        if isinstance(cls.result, Exception):
            raise cls.result
        return cls.result


def fallback(environ: dict[str, Any], start_response: Any) -> Any:
    return Response("moto's application", status=299)(environ, start_response)


def client(result: Any) -> Client:
    Recording.calls = []
    Recording.result = result
    return Client(routed(fallback, {"Fake_20261207": Recording}))


def post(test_client: Client, target: str, path: str = "/") -> Any:
    return test_client.post(
        path, data=b'{"TableName": "t"}', headers={"X-Amz-Target": target, "X-Extra": "1"}
    )


def test_a_call_of_a_routed_target_gets_the_handler_s_answer_and_the_request_moto_builds():
    answer = post(client((201, {"x-amz-crc32": "7"}, '{"ok": true}')), "Fake_20261207.GetItem")

    assert (answer.status_code, answer.get_data(as_text=True)) == (201, '{"ok": true}')
    assert answer.headers["x-amz-crc32"] == "7"
    ((request, url, headers),) = Recording.calls
    assert isinstance(request, Request) and request.from_wsgi_server
    assert request.get_data() == b'{"TableName": "t"}'
    assert url == "http://localhost/"
    assert headers["X-Amz-Target"] == "Fake_20261207.GetItem"
    assert headers["X-Extra"] == "1"


def test_a_body_alone_is_a_200():
    answer = post(client('{"TableNames": []}'), "Fake_20261207.ListTables")

    assert (answer.status_code, answer.get_data(as_text=True)) == (200, '{"TableNames": []}')


def test_a_client_error_is_a_400_with_its_message():
    error = ClientError({"Error": {"Code": "Throttled", "Message": "slow down"}}, "GetItem")

    answer = post(client(error), "Fake_20261207.GetItem")

    assert (answer.status_code, answer.get_data(as_text=True)) == (400, "slow down")


def test_an_http_exception_is_its_own_answer():
    answer = post(client(NotFound()), "Fake_20261207.GetItem")

    assert answer.status_code == 404


def test_other_targets_paths_and_methods_go_to_moto_s_application():
    test_client = client('{"ok": true}')

    answers = [
        post(test_client, "Other_20261207.GetItem"),
        post(test_client, "Fake_20261207.GetItem", path="/123456789012/queue"),
        test_client.get("/", headers={"X-Amz-Target": "Fake_20261207.GetItem"}),
        test_client.post("/", data=b"Action=Publish"),
    ]

    assert [answer.status_code for answer in answers] == [299, 299, 299, 299]
    assert Recording.calls == []


def test_moto_s_handlers_are_those_of_dynamodb_sqs_and_kinesis():
    handlers = moto_handlers()

    assert {target: handler.__name__ for target, handler in handlers.items()} == {
        DYNAMODB_TARGET: "DynamoHandler",
        SQS_TARGET: "SQSResponse",
        KINESIS_TARGET: "KinesisResponse",
    }
    assert (DYNAMODB_TARGET, SQS_TARGET, KINESIS_TARGET) == (
        "DynamoDB_20120810",
        "AmazonSQS",
        "Kinesis_20131202",
    )
