"""The emulator's HTTP server: moto's WSGI application served by gevent's WSGI server,
which keeps a client's connection open from one request to the next (HTTP/1.1
keep-alive) and serves every connection in one thread.

Why keep-alive: ``moto.server.main`` serves moto with werkzeug's development server,
which answers every request with ``Connection: close`` (on purpose: ``http.server``
cannot drain a body the application did not read) and starts a thread per connection.
Every AWS call of the local stack opened a TCP connection of its own, and the emulator a
thread. Measured with one boto3 client, 500 calls of each kind, the emulator's CPU per
call:

=======================  ========  ========
call                     werkzeug  waitress
=======================  ========  ========
GetItem                  1.06 ms   0.75 ms
BatchGetItem of 100      2.96 ms   2.68 ms
BatchWriteItem of 25     1.75 ms   1.42 ms
=======================  ========  ========

Why one thread: waitress, the keep-alive server before this one, read every request in
an I/O thread and handed it to one of its worker threads, and the answer back: each
request waited for the interpreter lock at every hand-off, behind whatever else the
process ran. gevent serves each connection in a greenlet, so a request is read,
answered and written by one thread, one after the other, and moto's handling of a call
(all CPU, no I/O) runs to its end before the next one starts. In ``make bench``, side by
side, small posts' p99 went from 1.17-2.42 s to 0.98-1.74 s and the raw BatchWriteItem
rate of eight client threads rose by half (``docs/local-emulator.md#one-thread``).

What stays: the application itself, built as ``moto.server.main`` builds it
(``DomainDispatcherApplication(create_backend_app)``), so every answer's status, body and
AWS headers; DynamoDB's, SQS's and Kinesis's calls reach moto's handlers without its
Flask application in between (``devstack.direct_dispatch``). What differs:

- no ``Connection: close``, and no ``Server`` header of werkzeug's beside moto's own
  ``server: amazon.com``;
- request headers whose names hold an underscore are dropped (a defence against one
  header posing as another, as waitress and nginx do); moto's own request handler keeps
  them for S3 user metadata such as ``x-amz-meta-my_key``. The stack writes no S3
  metadata;
- the process must be monkey-patched by gevent before moto is imported
  (``devstack.emulator_server`` does), so that a long poll (SQS ``ReceiveMessage`` with
  ``WaitTimeSeconds``, which waits on a ``threading.Condition``) waits in its greenlet
  and lets the others run;
- at most ``CONNECTION_LIMIT`` connections are served at once; beyond it new ones wait
  to be accepted;
- every socket sends without Nagle's delay (``TCP_NODELAY``): a request's answer is
  written as its headers and then its body, and without it the body waited for the
  client's delayed acknowledgement (44 ms a GetItem against 1.7);
- this module writes the line per request, werkzeug's request line and status.

``--stock`` keeps moto's own server as well as moto's own Query: stock is moto as shipped.
Written by hand: only the request-line log, a WSGI wrapper, and the socket option; the
server is gevent's.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
from collections.abc import Callable, Iterable
from typing import Any

from gevent.pool import Pool
from gevent.pywsgi import WSGIHandler, WSGIServer

from .direct_dispatch import routed

__all__ = ["CONNECTION_LIMIT", "serve"]

CONNECTION_LIMIT = 1000
"""Open connections, idle keep-alive ones included, served at once (one greenlet each)."""

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


class _NoDelayHandler(WSGIHandler):
    """gevent's request handler, with Nagle's algorithm off on every connection."""

    def handle(self) -> None:
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().handle()


def _stop(signum: int, frame: Any) -> None:
    sys.exit(0)  # as moto.server.main does: SIGINT and SIGTERM end the server cleanly


def serve(host: str, port: int, request_log: bool) -> None:
    """Serve moto on ``host``:``port`` until SIGINT or SIGTERM, in a process gevent has
    monkey-patched before moto was imported."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    logging.basicConfig(
        level=logging.INFO if request_log else logging.WARNING,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
        stream=sys.stdout,
    )
    os.environ.setdefault("MOTO_PORT", str(port))  # as moto.server.main does
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    app: Wsgi = routed(DomainDispatcherApplication(create_backend_app))
    server = WSGIServer(
        (host, port),
        logged(app) if request_log else app,
        spawn=Pool(CONNECTION_LIMIT),
        handler_class=_NoDelayHandler,
        log=None,  # the request line is ``logged``'s
        error_log=_log,  # an application's exception, with its traceback
    )
    server.serve_forever()
