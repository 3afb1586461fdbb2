"""The local stack's operations page: the dashboard's numbers, live, on this machine.

``make run`` serves it on ``MONITOR_PORT`` (default: the API's port + 1) and prints its
URL. Never deployed: on AWS the stage's CloudWatch dashboard shows the same metrics.

- ``/``: the page (``monitor_page.html``), which asks for ``/metrics.json`` every second
  and draws it with plotly.js;
- ``/plotly.min.js``: plotly.js as the ``plotly`` package ships it (no CDN: the page
  works offline);
- ``/metrics.json``: the metric lines appended to ``stack.log`` since the last ask
  (``devstack.live_metrics``), and the retry and dead-letter queue depths from the
  emulator, which the logs do not carry.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from pathlib import Path
from typing import Any

import boto3

from deploy.declared import read_config
from deploy.monitoring_settings import monitoring_settings

from .live_metrics import LiveMetrics, LogFollower, emf_samples
from .logs import STACK_LOG
from .stack import LocalStack

__all__ = ["MonitorPage", "QueueDepths", "monitor_page"]

PAGE = Path(__file__).with_name("monitor_page.html")
_DEPTHS = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]


class QueueDepths:
    """The retry and dead-letter queues' depths over time, asked of SQS at each look."""

    def __init__(self, sqs: Any, queues: dict[str, str], keep: int = 300) -> None:
        self._sqs = sqs
        self._names = queues  # label -> queue name
        self._urls: dict[str, str] = {}
        self.history: deque[dict[str, Any]] = deque(maxlen=keep)

    def sample(self, now: float) -> dict[str, Any]:
        depths: dict[str, Any] = {"at": now}
        for label, name in self._names.items():
            if label not in self._urls:
                self._urls[label] = self._sqs.get_queue_url(QueueName=name)["QueueUrl"]
            attributes = self._sqs.get_queue_attributes(
                QueueUrl=self._urls[label],
                AttributeNames=_DEPTHS,
            )["Attributes"]
            depths[label] = {
                "waiting": int(attributes["ApproximateNumberOfMessages"]),
                "in_flight": int(attributes["ApproximateNumberOfMessagesNotVisible"]),
                "queue": name,
            }
        self.history.append(depths)
        return depths

    def series(self, now: float) -> dict[str, Any]:
        return {
            label: {
                "t": [d["at"] - now for d in self.history],
                "waiting": [d[label]["waiting"] for d in self.history],
                "in_flight": [d[label]["in_flight"] for d in self.history],
                "queue": name,
            }
            for label, name in self._names.items()
        }


class MonitorPage:
    """The page's HTTP server, in a thread of ``make run``'s own process."""

    def __init__(
        self,
        port: int,
        log_file: Path,
        queues: QueueDepths,
        stage: str,
        freshness_slo_seconds: float,
    ) -> None:
        self.metrics = LiveMetrics()
        self._log = LogFollower(log_file)
        self._queues = queues
        self._reading = threading.Lock()
        self._about = {"stage": stage, "freshness_slo_seconds": freshness_slo_seconds}
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="monitor-page", daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def snapshot(self) -> dict[str, Any]:
        """Read what the log gained, look at the queues, and sum it all up."""
        with self._reading:
            for line in self._log.new_lines():
                self.metrics.add(emf_samples(line))
            now = time.time()
            try:
                self._queues.sample(now)
                queue_error = None
            except Exception as err:  # the page stays up while the emulator restarts
                queue_error = str(err)
            return {
                **self._about,
                **self.metrics.snapshot(now),
                "queues": self._queues.series(now),
                "queue_error": queue_error,
            }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        page = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/":
                    self._send(PAGE.read_bytes(), "text/html; charset=utf-8")
                elif self.path == "/plotly.min.js":
                    script = files("plotly").joinpath("package_data", "plotly.min.js")
                    self._send(script.read_bytes(), "text/javascript; charset=utf-8")
                elif self.path == "/metrics.json":
                    body = json.dumps(page.snapshot(), separators=(",", ":")).encode()
                    self._send(body, "application/json")
                else:
                    self._send(b'{"error": "no such page"}', "application/json", 404)

            def _send(self, body: bytes, kind: str, status: int = 200) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass  # one line per poll would drown make run's output

        return Handler


def monitor_page(stack: LocalStack, port: int) -> MonitorPage:
    """The page of a started ``stack``, reading its log and its stage's queues."""
    config = read_config(stack.project_dir)
    env = config["stages"][stack.stage]["environment_variables"]
    queues = {"retry": env["RETRY_QUEUE"], "dead": env["DEAD_LETTER_QUEUE"]}
    return MonitorPage(
        port,
        stack.log_dir / STACK_LOG,
        QueueDepths(boto3.client("sqs"), queues),
        stack.stage,
        monitoring_settings(config, stack.stage).freshness_slo_seconds,
    )
