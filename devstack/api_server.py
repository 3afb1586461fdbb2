"""``python -m devstack.api_server``: ``chalice local`` whose own errors are the API's JSON.

Chalice's local server is Python's ``http.server``, which answers some requests before
the app runs, with an HTML page: a request line over 65,536 bytes (414), a header line
over 65,536 bytes or more than 100 headers (431), a request line it cannot parse (400),
an HTTP version it does not speak (505), a method chalice has no handler for (501).
Every other error of the API is one JSON body ``{"error": "<field>: ..."}``, so these
are too. And two requests chalice's handler cannot read are refused the same way
instead of being misread: a ``Content-Length`` that is not one number (chalice's
``int()`` fails and the connection drops, 400) and a chunked body (chalice reads no
body and takes the chunks for the next request, 411).

Not a fork: the stage config, route validation and server are ``chalice local``'s own
(``chalice.cli.create_local_server``); only the request handler is chalice's subclassed,
through ``http.server``'s hooks (``send_error``, ``parse_request``).
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import os
import re
import sys
from http import HTTPStatus
from typing import Any

from chalice.cli import create_local_server
from chalice.cli.factory import CLIFactory
from chalice.config import Config
from chalice.local import ChaliceRequestHandler, LocalDevServer

__all__ = ["JsonErrorRequestHandler", "main", "server_error"]

MAX_LINE = 65536  # http.server's limit on the request line, http.client's on a header line
MAX_HEADERS = 100  # http.client's limit on the number of header lines
_DIGITS = re.compile(r"[0-9]+")


def server_error(code: int, reason: str | None, method: str) -> str:
    """The JSON error message for an error ``http.server`` raised itself (``reason``: its
    own wording, which tells its two 431s apart)."""
    if code == HTTPStatus.REQUEST_URI_TOO_LONG:
        return f"url: the request line is longer than {MAX_LINE} bytes"
    if code == HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE:
        if reason == "Too many headers":
            return f"headers: more than {MAX_HEADERS} header lines"
        return f"headers: a header line is longer than {MAX_LINE} bytes"
    if code == HTTPStatus.NOT_IMPLEMENTED:
        return f"method: {method} is not supported"
    if code == HTTPStatus.HTTP_VERSION_NOT_SUPPORTED:
        return "request line: the HTTP version must be HTTP/1.0 or HTTP/1.1"
    if code == HTTPStatus.BAD_REQUEST:
        return "request line: must be <method> <path> HTTP/1.1"
    return f"request: {HTTPStatus(code).phrase}"


def _body_framing_error(headers: Any) -> tuple[int, str] | None:
    """Why a request's body cannot be read the way chalice reads it (Content-Length)."""
    if headers.get("Transfer-Encoding") is not None:
        return (
            HTTPStatus.LENGTH_REQUIRED,
            "Transfer-Encoding: not supported by the local server; send Content-Length",
        )
    lengths = set(headers.get_all("Content-Length") or [])
    if lengths and (len(lengths) > 1 or not all(_DIGITS.fullmatch(n.strip()) for n in lengths)):
        return HTTPStatus.BAD_REQUEST, "Content-Length: must be one whole number of bytes"
    return None


class JsonErrorRequestHandler(ChaliceRequestHandler):
    """Chalice's request handler, with ``http.server``'s own errors as the API's JSON."""

    request_version: str  # set by http.server per request

    def parse_request(self) -> bool:
        if not super().parse_request():
            return False
        refused = _body_framing_error(self.headers)
        if refused is not None:
            self.send_json_error(*refused)
            return False
        return True

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        self.send_json_error(code, server_error(code, message, self.command))

    def send_json_error(self, code: int, message: str) -> None:
        """The API's error body; the connection is closed after it, as ``http.server``
        does after its own errors (the rest of the request is not read)."""
        self.log_error("code %d, message %s", code, message)
        if self.request_version == "HTTP/0.9":  # unparsed: still answer with a status line
            self.request_version = "HTTP/1.1"
        body = json.dumps({"error": message}).encode()
        self.send_response(code)
        self.send_header("Connection", "close")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


class _Factory(CLIFactory):
    """Chalice's CLI factory, whose local server uses ``JsonErrorRequestHandler``."""

    def create_local_server(
        self, app_obj: Any, config: Config, host: str, port: int
    ) -> LocalDevServer:
        server = super().create_local_server(app_obj, config, host, port)
        server.server.RequestHandlerClass = functools.partial(
            JsonErrorRequestHandler, app_object=app_obj, config=config
        )
        return server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.api_server", description=__doc__)
    parser.add_argument("--project-dir", default=os.getcwd())
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--stage", default="local")
    args = parser.parse_args(argv)
    project_dir = os.path.abspath(args.project_dir)
    # what the chalice command sets up before `chalice local` runs
    os.environ["AWS_CHALICE_CLI_MODE"] = "true"
    os.chdir(project_dir)
    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(message)s")
    factory = _Factory(project_dir, environ=os.environ)
    create_local_server(factory, args.host, args.port, args.stage).serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
