"""The context object carries what Lambda's does, so Powertools' Logger can read it."""

from __future__ import annotations

import io
import json
import re

from aws_lambda_powertools import Logger

from local_runtime import FunctionIdentity, LambdaContext

IDENTITY = FunctionIdentity(
    function_name="app-local-consume",
    region="us-east-1",
    account_id="123456789012",
    memory_limit_in_mb=256,
    timeout_seconds=30,
)


def test_context_attributes_are_lambdas():
    context = LambdaContext(IDENTITY, "req-1")
    assert context.function_name == "app-local-consume"
    assert context.function_version == "$LATEST"
    assert context.invoked_function_arn == (
        "arn:aws:lambda:us-east-1:123456789012:function:app-local-consume"
    )
    assert context.memory_limit_in_mb == 256
    assert context.aws_request_id == "req-1"
    assert context.log_group_name == "/aws/lambda/app-local-consume"
    assert re.fullmatch(r"\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}", context.log_stream_name)
    assert 29_000 < context.get_remaining_time_in_millis() <= 30_000


def test_powertools_logger_reads_the_context():
    stream = io.StringIO()
    logger = Logger(service="conformance", stream=stream)

    @logger.inject_lambda_context
    def handler(event, context):
        logger.info("hello")

    handler({}, LambdaContext(IDENTITY, "req-2"))
    line = json.loads(stream.getvalue().splitlines()[-1])
    assert {k: line[k] for k in ("function_name", "function_request_id", "function_arn")} == {
        "function_name": "app-local-consume",
        "function_request_id": "req-2",
        "function_arn": "arn:aws:lambda:us-east-1:123456789012:function:app-local-consume",
    }
    assert line["function_memory_size"] == 256
