"""DynamoDB's, SQS's and Kinesis's calls handed to moto's handlers directly, not
through Flask.

Why: profiled on the emulator (py-spy, 200 Hz, one boto3 client calling in a loop,
2026-12-07), the work asked for was a small part of each call. Of a consistent
GetItem's samples, moto's ``get_item`` took 4 %, and Flask's handling around moto's
handler (its request context, URL map, response processing and CORS hook) 15 %; of a
BatchGetItem of 100 keys, Flask took 8 %. Most of the local stack's calls are
DynamoDB's, SQS's (the runtime's polls of SNS's deliveries) and Kinesis's: hundreds a
second in ``make bench``.

Measured with two emulators running at once, one without this, the same calls to each
in alternating blocks, the emulator's CPU per call (``/proc``): GetItem 1.31 ms and
0.87 ms without Flask, BatchGetItem of 100 keys 4.40 and 3.83 ms, BatchWriteItem of 25
items 3.33 and 2.72 ms (``docs/local-emulator.md#direct-dispatch``).

What stays the same: the request a handler gets (moto's ``Request`` built from the WSGI
environ, marked as a server's, as moto's Flask app builds it), moto's request recorder
(``recorder._record_request``, as ``convert_to_flask_response`` calls it), the handler
(``dispatch`` of ``DynamoHandler``, ``SQSResponse`` or ``KinesisResponse``, with the
URL and headers Flask would pass), and the answer: its status, body and every header
moto sets. A ``ClientError`` becomes a 400 with its message, as
``convert_to_flask_response`` makes it, and a werkzeug ``HTTPException`` its own
answer, as Flask makes it. What differs:

- Flask's CORS hook does not run, so these answers have no
  ``Access-Control-Allow-Origin`` header (no browser calls these services here);
- a call is routed by its target alone, where moto's dispatcher goes first by the
  service its signature (``Authorization``) names: a DynamoDB-signed call with an SQS
  target reached DynamoDB's handler and failed with a 500, and now reaches SQS's. The
  SDKs sign a call with its target's service;
- an exception inside moto reaches gevent's server, which answers 500 and logs it, as
  it did through Flask (moto's Flask app runs in debug mode, which passes exceptions
  on).

Which calls: ``POST /`` with ``X-Amz-Target: <prefix>.<action>``, the way the AWS SDKs
call these services' JSON APIs (SQS's queue URL travels in the body). Every other
request (SNS, S3, DynamoDB Streams, KMS, ``/moto-api/``, SQS's older query API) goes to
moto's application as before. ``--stock`` runs moto's own server, without this.

Checked: ``tests/integration/test_direct_dispatch.py`` compares these services' answers,
errors included, with stock moto's own server's; the differential test of
``devstack.query_index`` sends every DynamoDB call through this too.
Written by hand: moto has no way to serve a service without its Flask application.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = ["DYNAMODB_TARGET", "KINESIS_TARGET", "SQS_TARGET", "moto_handlers", "routed"]

DYNAMODB_TARGET = "DynamoDB_20120810"
KINESIS_TARGET = "Kinesis_20131202"
SQS_TARGET = "AmazonSQS"
"""``X-Amz-Target: <service>.<action>``: how the AWS SDKs call these services' JSON APIs."""

Wsgi = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def moto_handlers() -> dict[str, Any]:
    """Each target prefix's moto handler class (its ``dispatch`` is what moto's URL map
    calls)."""
    from moto.dynamodb.responses import DynamoHandler
    from moto.kinesis.responses import KinesisResponse
    from moto.sqs.responses import SQSResponse

    return {
        DYNAMODB_TARGET: DynamoHandler,
        SQS_TARGET: SQSResponse,
        KINESIS_TARGET: KinesisResponse,
    }


def routed(app: Wsgi, handlers: Mapping[str, Any] | None = None) -> Wsgi:
    """``app`` (moto's application), with the calls of ``handlers``' target prefixes
    (default: ``moto_handlers()``) answered by their handlers' ``dispatch`` directly
    (``wsgi_request``: a WSGI environ)."""
    from botocore.exceptions import ClientError
    from moto.core.request import Request
    from moto.moto_api import recorder
    from werkzeug.exceptions import HTTPException
    from werkzeug.wrappers import Response

    class ServerRequest(Request):
        from_wsgi_server = True  # as moto's Flask app marks its requests

    handlers = moto_handlers() if handlers is None else handlers

    def answer(
        handler: Any, wsgi_request: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        request = ServerRequest(wsgi_request)
        try:
            recorder._record_request(request)
            result = handler.dispatch(request, request.raw_url, dict(request.headers))
        except ClientError as exc:
            result = 400, {}, exc.response["Error"]["Message"]
        except HTTPException as exc:
            return exc(wsgi_request, start_response)
        status, headers, body = result if len(result) == 3 else (200, {}, result)
        return Response(response=body, status=status, headers=headers)(wsgi_request, start_response)

    def route(wsgi_request: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if wsgi_request.get("REQUEST_METHOD") == "POST" and wsgi_request.get("PATH_INFO") == "/":
            handler = handlers.get(wsgi_request.get("HTTP_X_AMZ_TARGET", "").split(".", 1)[0])
            if handler is not None:
                return answer(handler, wsgi_request, start_response)
        return app(wsgi_request, start_response)

    return route
