"""A fault-injecting HTTP proxy between the code (``AWS_ENDPOINT_URL``) and the emulator.

Written by hand because Debian packages no Toxiproxy and no Python library answers in
AWS's per-service error formats. It forwards every call to the emulator, except that a
seeded random draw answers ``rate`` of them itself, before forwarding (the call never
reaches the emulator), with the throttling error of the service's wire protocol or a
5xx. Each operation draws from a sequence of its own (seed, service, operation): the
calls the functions make meet the same faults however many polls the runtime made in
between (their number depends on the machine's load). ``outage(seconds)`` drops every
connection for that long (the emulator "unreachable"). It counts what it injected, per
service and kind, and, for one table named with ``count_writes_to``, every item written
to it that reached the emulator: the count of writes a table key would hide (an item
written twice is stored once).

It also counts what bounds those repeats (``RepeatSources``): the write calls to that
table that met a fault or were an SDK retry (the header ``amz-sdk-request: attempt=N``),
the feed-fanout messages published more than once (PublishBatch and Publish, by body),
and, per SQS message id, the feed-fanout messages received and not yet deleted: the
ones a killed runtime held.

``fail_put_records_entries(rate)`` makes PutRecords fail in part, as Kinesis does under
a hot shard: the call succeeds, and a seeded draw of its entries answers
``ProvisionedThroughputExceededException`` (``FailedRecordCount``, per-entry
``ErrorCode``) without reaching the emulator; the other entries are forwarded and
stored. ``failed_entries`` counts them.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import random
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

__all__ = ["FaultProxy", "RepeatSources"]

# X-Amz-Target prefix (JSON protocols) -> service
_TARGETS = {
    "DynamoDB_": "dynamodb",
    "Kinesis_": "kinesis",
    "TrentService": "kms",
    "AmazonSQS": "sqs",
}
_SCOPE = re.compile(r"Credential=[^/]+/\d+/[^/]+/([a-z0-9-]+)/aws4_request")
_ACTION = re.compile(rb"(?:^|&)Action=([A-Za-z0-9]+)")  # query protocols (SNS, STS)

# service -> (status, code) of its throttling answer
_THROTTLING = {
    "dynamodb": (400, "ProvisionedThroughputExceededException"),
    "kinesis": (400, "ProvisionedThroughputExceededException"),
    "sqs": (400, "ThrottlingException"),
    "sns": (400, "Throttling"),
    "kms": (500, "KMSInternalException"),
}
_SERVER_ERRORS = ((500, "InternalFailure"), (503, "ServiceUnavailable"))
_HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "proxy-connection"}
_WRITES = ("DynamoDB_20120810.BatchWriteItem", "DynamoDB_20120810.PutItem")
_ATTEMPT = re.compile(r"attempt=(\d+)")
_GROUP_MESSAGE = "feed-fanout"  # the type of a follower group's message, which writes feeds
_ENTRY_MESSAGE = re.compile(r"PublishBatchRequestEntries\.member\.\d+\.Message")


@dataclass
class RepeatSources:
    """What may make a feed write repeat, as counted on the wire (see the module doc)."""

    write_faults: int = 0  # write calls to the counted table answered with a fault
    write_retries: int = 0  # write calls to it that were an SDK client's retry
    published: Counter[str] = field(default_factory=Counter)  # group message digest -> times
    largest_group: int = 0  # the most followers one published group message carried
    received: dict[str, str] = field(default_factory=dict)  # receipt handle -> message id
    in_hand: set[str] = field(default_factory=set)  # group messages received, not deleted

    @property
    def republished(self) -> int:
        return sum(n - 1 for n in self.published.values())


def _service(headers: http.client.HTTPMessage) -> tuple[str, bool]:
    """(service, speaks JSON) of one request, from its target or its signature's scope."""
    target = headers.get("X-Amz-Target", "")
    for prefix, service in _TARGETS.items():
        if target.startswith(prefix):
            return service, True
    match = _SCOPE.search(headers.get("Authorization", ""))
    service = match.group(1) if match else "other"
    return service, bool(target) or "json" in headers.get("Content-Type", "")


def _operation(headers: http.client.HTTPMessage, body: bytes) -> str:
    """The API operation of one request: its target's last part, or its query Action."""
    target = headers.get("X-Amz-Target", "")
    if target:
        return target.rpartition(".")[2]
    match = _ACTION.search(body)
    return match.group(1).decode() if match else "?"


def _error_body(service: str, json_protocol: bool, code: str) -> tuple[bytes, dict[str, str]]:
    message = f"injected by the fault proxy ({code})"
    if json_protocol:
        body = json.dumps({"__type": f"com.amazonaws.{service}#{code}", "message": message})
        headers = {"Content-Type": "application/x-amz-json-1.0"}
        if service == "sqs":  # SQS's JSON protocol also names the query-compatible code
            headers["x-amzn-query-error"] = f"{code};Sender"
        return body.encode(), headers
    xml = (
        "<ErrorResponse><Error><Type>Sender</Type>"
        f"<Code>{code}</Code><Message>{message}</Message></Error>"
        "<RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>"
    )
    return xml.encode(), {"Content-Type": "text/xml"}


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client killed mid-call (kill -9 of the runtime) is expected here


class FaultProxy:
    """``with FaultProxy(upstream, rate=0.1, seed=7) as proxy: proxy.endpoint_url``."""

    def __init__(self, upstream: str, rate: float = 0.0, seed: int = 0) -> None:
        self.upstream = urlsplit(upstream)
        self.rate = rate
        self.injected: Counter[tuple[str, str]] = Counter()  # (service, code) -> count
        self.forwarded: Counter[str] = Counter()  # service -> calls passed through
        self.writes: Counter[tuple[str, ...]] = Counter()  # key of an item written -> times
        self._counted: tuple[str, tuple[str, ...]] | None = None  # table, key attributes
        self.sources = RepeatSources()
        self._active = 0  # requests being relayed now
        self._seed = seed
        self._draws: dict[tuple[str, str], random.Random] = {}  # one sequence per operation
        self._lock = threading.Lock()
        self._down_until = 0.0
        self._entry_failure_rate = 0.0
        self.failed_entries = 0
        self._server = _QuietServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def outage(self, seconds: float) -> None:
        """Drop every connection, new or kept alive, for ``seconds`` from now."""
        self._down_until = time.monotonic() + seconds

    def fail_put_records_entries(self, rate: float) -> None:
        """From now on, fail ``rate`` of every PutRecords call's entries (seeded)."""
        self._entry_failure_rate = rate

    def _split_put_records(self, body: bytes) -> tuple[bytes, list[bool]] | None:
        """The request with the entries to fail taken out, and which entries fail; None
        when this call is not a PutRecords to fail in part."""
        if not self._entry_failure_rate:
            return None
        sent = json.loads(body)
        with self._lock:
            draws = self._draws.setdefault(
                ("kinesis", "entries"), random.Random(f"{self._seed}:kinesis:entries")
            )
            failing = [draws.random() < self._entry_failure_rate for _ in sent["Records"]]
        sent["Records"] = [r for r, fail in zip(sent["Records"], failing, strict=True) if not fail]
        return json.dumps(sent).encode(), failing

    def _merge_put_records(self, answer: bytes, failing: list[bool]) -> bytes:
        """The emulator's answer for the forwarded entries, with the failed ones put back
        in their places, as Kinesis answers a partly failed call."""
        stored = iter(json.loads(answer)["Records"] if answer else [])
        records = []
        for fail in failing:
            if fail:
                records.append(
                    {
                        "ErrorCode": "ProvisionedThroughputExceededException",
                        "ErrorMessage": "Rate exceeded for shard (injected by the fault proxy)",
                    }
                )
            else:
                records.append(next(stored))
        with self._lock:
            self.failed_entries += sum(failing)
        return json.dumps({"FailedRecordCount": sum(failing), "Records": records}).encode()

    def count_writes_to(self, table: str, key: tuple[str, ...]) -> None:
        """Count, in ``writes``, each item of ``table`` the emulator accepted, by the string
        values of its ``key`` attributes."""
        self._counted = (table, key)

    def _count_writes(self, target: str, request: bytes, status: int, answer: bytes) -> None:
        if self._counted is None or target not in _WRITES or status != 200:
            return
        table, key = self._counted
        sent = json.loads(request)
        if target.endswith("PutItem"):
            items = [sent["Item"]] if sent.get("TableName") == table else []
        else:
            unprocessed = json.loads(answer).get("UnprocessedItems", {}).get(table, [])
            requests = [r for r in sent["RequestItems"].get(table, []) if r not in unprocessed]
            items = [r["PutRequest"]["Item"] for r in requests if "PutRequest" in r]
        keys = [tuple(item[name]["S"] for name in key) for item in items]
        with self._lock:
            self.writes.update(keys)

    def _counted_write(self, target: str, request: bytes) -> bool:
        """Whether a call is a write to the table ``count_writes_to`` names."""
        if self._counted is None or target not in _WRITES:
            return False
        sent = json.loads(request)
        table = self._counted[0]
        return sent.get("TableName") == table or table in sent.get("RequestItems", {})

    def _note_write_call(self, target: str, request: bytes, attempt: str, faulted: bool) -> None:
        if not self._counted_write(target, request):
            return
        match = _ATTEMPT.search(attempt)
        with self._lock:
            self.sources.write_faults += faulted
            self.sources.write_retries += bool(match and int(match.group(1)) > 1)

    def _note_messages(self, operation: str, request: bytes, status: int, answer: bytes) -> None:
        """Group messages published, received and deleted (``RepeatSources``)."""
        if status != 200:
            return
        if operation in ("PublishBatch", "Publish"):
            form = parse_qs(request.decode())
            bodies = [
                values[0]
                for name, values in form.items()
                if name == "Message" or _ENTRY_MESSAGE.fullmatch(name)
            ]
            self._note_published(bodies)
        elif operation == "ReceiveMessage":
            got = json.loads(answer).get("Messages", [])
            with self._lock:
                for message in got:
                    if _GROUP_MESSAGE in message.get("Body", ""):
                        self.sources.received[message["ReceiptHandle"]] = message["MessageId"]
                        self.sources.in_hand.add(message["MessageId"])
        elif operation in ("DeleteMessage", "DeleteMessageBatch"):
            sent = json.loads(request)
            handles = [sent.get("ReceiptHandle")] + [
                e.get("ReceiptHandle") for e in sent.get("Entries", [])
            ]
            with self._lock:
                for handle in handles:
                    self.sources.in_hand.discard(self.sources.received.pop(handle, ""))

    def _note_published(self, bodies: list[str]) -> None:
        for body in bodies:
            try:
                message = json.loads(body)
            except ValueError:
                continue
            if not isinstance(message, dict) or message.get("type") != _GROUP_MESSAGE:
                continue
            digest = hashlib.sha256(body.encode()).hexdigest()
            with self._lock:
                self.sources.published[digest] += 1
                followers = len(message.get("followers") or ())
                self.sources.largest_group = max(self.sources.largest_group, followers)

    def take_in_hand(self, settle: float = 10.0) -> int:
        """The group messages received and not deleted now (after a kill: the ones the
        killed runtime held), each counted once: they are forgotten here, and their
        redelivery to the next runtime counts as a new message in hand only if that one
        is killed holding it too. Waits up to ``settle`` s for calls still being relayed."""
        deadline = time.monotonic() + settle
        while self._active and time.monotonic() < deadline:
            time.sleep(0.01)
        with self._lock:
            held = len(self.sources.in_hand)
            self.sources.in_hand.clear()
            self.sources.received.clear()
        return held

    @property
    def injected_total(self) -> int:
        return sum(self.injected.values())

    def _is_down(self) -> bool:
        return time.monotonic() < self._down_until

    def _draw(self, service: str, operation: str) -> tuple[int, str] | None:
        """The fault for the next call of ``operation``, or None to forward it."""
        with self._lock:
            draws = self._draws.get((service, operation))
            if draws is None:
                draws = random.Random(f"{self._seed}:{service}:{operation}")
                self._draws[(service, operation)] = draws
            if draws.random() >= self.rate:
                self.forwarded[service] += 1
                return None
            if draws.random() < 0.5:
                fault = _THROTTLING.get(service, (400, "Throttling"))
            else:
                fault = draws.choice(_SERVER_ERRORS)
            self.injected[(service, fault[1])] += 1
            return fault

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass  # quiet: the counters say what happened

            def _relay(self) -> None:
                with proxy._lock:
                    proxy._active += 1
                try:
                    self._relay_counted()
                finally:
                    with proxy._lock:
                        proxy._active -= 1

            def _relay_counted(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if proxy._is_down():
                    self.close_connection = True
                    self.connection.close()
                    return
                service, json_protocol = _service(self.headers)
                operation = _operation(self.headers, body)
                moto_api = self.path.startswith("/moto-api")
                fault = None if moto_api else proxy._draw(service, operation)
                target = self.headers.get("X-Amz-Target", "")
                attempt = self.headers.get("amz-sdk-request", "")
                proxy._note_write_call(target, body, attempt, faulted=fault is not None)
                if fault is not None:
                    status, code = fault
                    payload, headers = _error_body(service, json_protocol, code)
                    self._answer(status, headers, payload)
                    return
                split = (
                    proxy._split_put_records(body)
                    if self.headers.get("X-Amz-Target") == "Kinesis_20131202.PutRecords"
                    else None
                )
                if split is not None and not any(not fail for fail in split[1]):
                    payload = proxy._merge_put_records(b"", split[1])
                    self._answer(200, {"Content-Type": "application/x-amz-json-1.1"}, payload)
                    return
                status, headers, payload = self._forward(body if split is None else split[0])
                if split is not None and status == 200:
                    payload = proxy._merge_put_records(payload, split[1])
                # counted before answering: a client killed meanwhile still wrote
                proxy._count_writes(target, body, status, payload)
                proxy._note_messages(operation, body, status, payload)
                self._answer(status, headers, payload)

            def _forward(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
                upstream = proxy.upstream
                conn = http.client.HTTPConnection(
                    upstream.hostname or "127.0.0.1", upstream.port, timeout=60
                )
                try:
                    headers = {  # the body may be shortened: http.client counts its length
                        k: v
                        for k, v in self.headers.items()
                        if k.lower() not in _HOP_HEADERS and k.lower() != "content-length"
                    }
                    conn.request(self.command, self.path, body=body, headers=headers)
                    response = conn.getresponse()
                    payload = response.read()
                    kept = {
                        k: v
                        for k, v in response.getheaders()
                        if k.lower() not in _HOP_HEADERS and k.lower() != "content-length"
                    }
                    return response.status, kept, payload
                finally:
                    conn.close()

            def _answer(self, status: int, headers: dict[str, str], payload: bytes) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _relay

        return Handler
