"""The emulator process: ``python -m devstack.emulator_server [--stock] [--quiet] [-H HOST]
[-p PORT]``, as ``devstack.emulator.start_emulator`` runs it.

moto's application served with keep-alive connections in one thread, by gevent
(``devstack.emulator_http``; the process is monkey-patched before moto is imported), with
DynamoDB Query served by partition and by index (``devstack.query_index``), its routing
and DynamoDB items written without moto's per-request overheads
(``devstack.emulator_speedups``), DynamoDB's, SQS's and Kinesis's calls handed to moto's
handlers without its Flask application (``devstack.direct_dispatch``), DynamoDB items
built, measured and projected without
moto's round trips (``devstack.item_speedups``), requests' items read without moto's
walk of the request model (``devstack.request_speedups``), answers' plain values
converted without moto's type questions (``devstack.result_speedups``), string keys
compared and hashed without moto's type questions (``devstack.value_speedups``), and SQS
without work that grows with a queue's length (``devstack.sqs_speedups``), a plain
BatchGetItem answered in one pass over its keys (``devstack.batch_get_speedups``), a plain
Query of a table answered in one pass (``devstack.query_speedups``), SNS's deliveries
signed with one key and certificate (``devstack.sns_speedups``), and its heap
frozen once a second so that Python's full collections skip its tables
(``devstack.gc_freeze``), unless ``--stock``, which runs moto's own server
(``moto.server.main``) unchanged.
``--quiet`` turns off the line per request: writing that line took 15 % of the
emulator's time in a profile of the fan-out benchmark (py-spy, ``make bench``); errors
are still logged.
"""

from __future__ import annotations

import argparse
import logging
import sys

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.emulator_server", add_help=False)
    parser.add_argument("--stock", action="store_true", help="moto's own Query, unchanged")
    parser.add_argument("--quiet", action="store_true", help="no log line per request")
    parser.add_argument("-H", "--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("-p", "--port", type=int, default=5000, help="port to listen on")
    ours = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if ours.stock:
        print("DynamoDB Query: stock moto (every item of the table is read)", flush=True)
        if ours.quiet:
            logging.getLogger("werkzeug").setLevel(logging.WARNING)
        from moto.server import main as moto_main

        moto_main(["-H", ours.host, "-p", str(ours.port)])
        return 0
    _serve_ours(ours.host, ours.port, request_log=not ours.quiet)
    return 0


def _serve_ours(host: str, port: int, request_log: bool) -> None:
    from gevent import monkey

    monkey.patch_all()  # first: moto binds threading's names as it is imported
    from . import (
        batch_get_speedups,
        emulator_http,
        emulator_speedups,
        gc_freeze,
        item_speedups,
        query_speedups,
        request_speedups,
        result_speedups,
        sns_speedups,
        sqs_speedups,
        value_speedups,
    )
    from .query_index import MOTO_VERSION, install

    install()
    emulator_speedups.install()
    item_speedups.install()
    request_speedups.install()
    result_speedups.install()
    value_speedups.install()
    sqs_speedups.install()
    batch_get_speedups.install()
    query_speedups.install()
    sns_speedups.install()
    gc_freeze.keep_frozen()
    print(
        "HTTP: keep-alive connections in one thread (devstack.emulator_http, gevent); "
        f"DynamoDB Query: by partition and index (devstack.query_index, moto {MOTO_VERSION}); "
        "routing and DynamoDB items written without moto's per-request overheads "
        "(devstack.emulator_speedups); DynamoDB's, SQS's and Kinesis's calls without "
        "Flask (devstack.direct_dispatch); DynamoDB items built, measured and projected "
        "directly (devstack.item_speedups); requests' items read directly "
        "(devstack.request_speedups); answers' plain values converted directly "
        "(devstack.result_speedups); string keys compared and hashed directly "
        "(devstack.value_speedups); SQS without per-message scans of the queue "
        "(devstack.sqs_speedups); BatchGetItem answered in one pass "
        "(devstack.batch_get_speedups); a plain Query of a table answered in one pass "
        "(devstack.query_speedups); SNS's deliveries signed with one key and "
        "certificate (devstack.sns_speedups); the heap frozen once a second, out of Python's full "
        "collections (devstack.gc_freeze)",
        flush=True,
    )
    emulator_http.serve(host, port, request_log)


if __name__ == "__main__":
    sys.exit(main())
