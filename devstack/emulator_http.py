"""The emulator's HTTP server: moto's WSGI application served by waitress, which keeps a
client's connection open from one request to the next (HTTP/1.1 keep-alive).

Why: ``moto.server.main`` serves moto with werkzeug's development server, which answers
every request with ``Connection: close`` (on purpose: ``http.server`` cannot drain a body
the application did not read) and starts a thread per connection. Every AWS call of the
local stack opened a TCP connection of its own, and the emulator a thread. Measured with
one boto3 client, 500 calls of each kind, the emulator's CPU per call:

=======================  ========  ========
call                     werkzeug  waitress
=======================  ========  ========
GetItem                  1.06 ms   0.75 ms
BatchGetItem of 100      2.96 ms   2.68 ms
BatchWriteItem of 25     1.75 ms   1.42 ms
=======================  ========  ========

and the client's CPU 0.1 ms less per call. ``docs/local-emulator.md#keep-alive`` has the
benchmark's figures.

What stays: the application itself, built as ``moto.server.main`` builds it
(``DomainDispatcherApplication(create_backend_app)``), so every answer's status, body and
AWS headers. What differs:

- a ``Via`` header that names this server (moto's ``Server: amazon.com`` stays), and no
  ``Connection: close``;
- waitress drops request headers whose names hold an underscore (a defence against one
  header posing as another); moto's own request handler keeps them for S3 user metadata
  such as ``x-amz-meta-my_key``. The stack writes no S3 metadata;
- at most ``THREADS`` requests are served at once, where werkzeug started a thread for
  each. A long poll (SQS ``ReceiveMessage`` with ``WaitTimeSeconds``) holds one for its
  wait, and the local runtime long-polls once per queue and topic subscription (nine
  event sources for ``make run``'s stack), so ``THREADS`` leaves room for many runtimes
  and test runs on one emulator. Beyond it requests queue, and waitress logs "Task queue
  depth";
- this module writes the line per request, werkzeug's request line and status.

``--stock`` keeps moto's own server as well as moto's own Query: stock is moto as shipped.
Written by hand: only the request-line log, a WSGI wrapper; the server is waitress.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["CONNECTION_LIMIT", "THREADS", "serve"]

THREADS = 128
"""Requests served at once (waitress's worker threads)."""
CONNECTION_LIMIT = 1000
"""Open connections, idle keep-alive ones included, before waitress stops accepting."""

_log = logging.getLogger("devstack.emulator")

Wsgi = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def logged(app: Wsgi) -> Wsgi:
    """``app``, logging each request's line and status once its answer starts (``request``
    is the WSGI environ)."""

    def log_request(request: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            query = request.get("QUERY_STRING")
            target = request.get("PATH_INFO", "") + (f"?{query}" if query else "")
            _log.info(
                '%s "%s %s %s" %s',
                request.get("REMOTE_ADDR", "-"),
                request.get("REQUEST_METHOD"),
                target,
                request.get("SERVER_PROTOCOL"),
                status.split(" ", 1)[0],
            )
            return start_response(status, headers, exc_info)

        return app(request, start)

    return log_request


def _stop(signum: int, frame: Any) -> None:
    sys.exit(0)  # as moto.server.main does: SIGINT and SIGTERM end the server cleanly


def serve(host: str, port: int, request_log: bool) -> None:
    """Serve moto on ``host``:``port`` until SIGINT or SIGTERM."""
    import waitress
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    logging.basicConfig(
        level=logging.INFO if request_log else logging.WARNING,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
        stream=sys.stdout,
    )
    os.environ.setdefault("MOTO_PORT", str(port))  # as moto.server.main does
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    app: Wsgi = DomainDispatcherApplication(create_backend_app)
    waitress.serve(
        logged(app) if request_log else app,
        host=host,
        port=port,
        threads=THREADS,
        connection_limit=CONNECTION_LIMIT,
        asyncore_use_poll=True,  # poll(), not select(): no limit of 1,024 descriptors
        ident="moto (devstack.emulator_http, waitress)",
    )
