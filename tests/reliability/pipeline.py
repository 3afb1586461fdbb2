"""The fan-out pipeline started piece by piece, so a test can kill one piece.

The emulator (``devstack.emulator``), the infrastructure (``devstack.infra``) and the event
runtime as its own process (``python -m local_runtime``), with the fault proxy between
the runtime and the emulator. Posts go straight onto the stream (the HTTP API is not
under test here); followers are written straight into the relationships table. Every
read the test makes to check the result goes to the emulator directly, never through
the proxy.
"""

from __future__ import annotations

import gzip
import json
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chalicelib.domain.posts import new_yubl, yubl_posted_event
from devstack.emulator import Emulator, aws_environment, start_emulator
from devstack.infra import deploy_stack
from devstack.processes import Child, start_child
from devstack.stack import PROJECT_DIR
from devstack.user_pool import ensure_user_pool, identity_environment

from .fault_proxy import FaultProxy

__all__ = ["Pipeline", "quick_timeout_project"]

STAGE = "local"
RELATIONSHIPS = "relationships-local"
FEEDS = "feeds-local"
POSTS = "posts-local"
STREAM = "yubl-posted-local"
RETRY_QUEUE = "yubl-retry-local"
DEAD_LETTERS = "yubl-dead-letters-local"
EXPORTS = "reliability-table-exports"  # a bucket of the test's own, on the emulator
FEED_WORKERS = ("add_to_feed", "add_to_feed_priority")  # the feed group's two lanes


@dataclass
class Pipeline:
    emulator: Emulator
    proxy: FaultProxy
    log_dir: Path
    project_dir: Path = PROJECT_DIR
    runtime: Child | None = None
    restarts: int = 0
    in_hand_at_kills: list[int] = field(default_factory=list)  # group messages held, per kill
    _log_offset: int = 0
    logged_writes: Counter[tuple[str, str]] = field(default_factory=Counter)

    @classmethod
    def start(
        cls, log_dir: Path, fault_rate: float = 0.0, seed: int = 0, project_dir: Path = PROJECT_DIR
    ) -> Pipeline:
        emulator = start_emulator(log=log_dir / "emulator.log")
        try:
            deploy_stack(
                emulator.client("cloudformation"),
                STAGE,
                {"RetryVisibilityTimeoutSeconds": "2"},
            )
            proxy = FaultProxy(emulator.endpoint_url, rate=fault_rate, seed=seed).__enter__()
            proxy.count_writes_to(FEEDS, key=("user_id", "yubl_id"))
        except BaseException:
            emulator.stop()
            raise
        pipeline = cls(emulator=emulator, proxy=proxy, log_dir=log_dir, project_dir=project_dir)
        pipeline.start_runtime()
        return pipeline

    @property
    def log_file(self) -> Path:
        return self.log_dir / "stack.log"

    def client(self, service: str) -> Any:
        """A client of the emulator itself (no faults): for seeding and checking."""
        return self.emulator.client(service)

    def start_runtime(self) -> None:
        # the stage's user pool, as make run makes it: notify_mentioned looks mentions up in it
        pool = ensure_user_pool(self.client("cognito-idp"), STAGE)
        env = {
            **aws_environment(self.proxy.endpoint_url),
            **identity_environment(pool, self.proxy.endpoint_url),
            "LOCAL_LOG_FILE": str(self.log_file),
            "LOCAL_RUNTIME_ASYNC_RETRY_DELAYS": "1,2",
            "LOCAL_RUNTIME_STATUS_INTERVAL": "5",
            "DEBUG_LOG_SAMPLE_RATE": "0",
        }
        argv = [sys.executable, "-m", "local_runtime", "--project-dir", str(self.project_dir)]
        self.runtime = start_child(
            "runtime", [*argv, "--stage", STAGE], env, self.log_dir, PROJECT_DIR, echo=False
        )
        self.runtime.wait_for_line("ready", timeout=120)

    def kill_runtime(self) -> None:
        """kill -9: no signal handler runs, nothing in flight is finished or handed back."""
        assert self.runtime is not None
        self.runtime.process.kill()
        self.runtime.process.wait()
        self.in_hand_at_kills.append(self.proxy.take_in_hand())

    def restart_runtime(self) -> None:
        self.kill_runtime()
        self.restarts += 1
        self.start_runtime()

    def stop(self) -> None:
        if self.runtime is not None:
            self.runtime.stop()
        self.proxy.__exit__(None, None, None)
        self.emulator.stop()

    # -- the workload -------------------------------------------------------------

    def follow(self, author: str, followers: list[str]) -> None:
        dynamodb = self.client("dynamodb")
        items = [{"user_id": {"S": author}, "follower_id": {"S": f}} for f in followers]
        for start in range(0, len(items), 25):
            pending = {RELATIONSHIPS: [{"PutRequest": {"Item": i}} for i in items[start:][:25]]}
            while pending:
                pending = dynamodb.batch_write_item(RequestItems=pending)["UnprocessedItems"]

    def post(self, posts: list[tuple[str, str]]) -> list[str]:
        """Put ``(author, text)`` posts on the stream; returns their yubl ids in order."""
        kinesis = self.client("kinesis")
        ids, records = [], []
        for n, (author, text) in enumerate(posts):
            yubl = new_yubl(author, text, now=datetime.now(UTC), suffix=f"{n:012x}")
            event = {**yubl_posted_event(yubl), "__context__": {"x-correlation-id": yubl.yubl_id}}
            data = json.dumps(event, separators=(",", ":")).encode()
            ids.append(yubl.yubl_id)
            records.append({"Data": data, "PartitionKey": author})
        for start in range(0, len(records), 100):
            batch = records[start : start + 100]
            while batch:
                answer = kinesis.put_records(StreamName=STREAM, Records=batch)
                batch = [
                    r for r, a in zip(batch, answer["Records"], strict=True) if "ErrorCode" in a
                ]
        return ids

    # -- what happened ------------------------------------------------------------

    def log_lines(self) -> Iterator[dict[str, Any]]:
        """Every JSON line written so far (Powertools logs and EMF metrics)."""
        if not self.log_file.exists():
            return
        with self.log_file.open(encoding="utf-8") as log:
            for text in log:
                try:
                    line = json.loads(text)
                except ValueError:
                    continue
                if isinstance(line, dict):
                    yield line

    def failed_feed_attempts(self) -> int:
        """Attempts of a feed worker (either lane, or the retry worker re-running a parked
        message) that failed and were tried again: each is logged once, as ``retrying``,
        ``parked`` or ``failed`` after its attempt. A message parked because time ran out
        (``Unfinished``) is not one: its rest holds only the followers not yet written."""
        return sum(
            1
            for line in self.log_lines()
            if line.get("function_name") in (*FEED_WORKERS, "retry_parked")
            and line.get("outcome") in ("retrying", "parked", "failed")
            and line.get("error_type") != "Unfinished"
        )

    def read_new_writes(self) -> int:
        """Add the "feed entries written" lines logged since the last call to ``logged_writes``.

        Each line lists the followers one add_to_feed write covered: a (follower, yubl)
        counted twice was written twice (a repeat the table key would hide).
        """
        if not self.log_file.exists():
            return 0
        with self.log_file.open("rb") as log:
            log.seek(self._log_offset)
            chunk = log.read()
        complete = chunk[: chunk.rfind(b"\n") + 1]
        self._log_offset += len(complete)
        for text in complete.decode("utf-8").splitlines():
            if '"feed entries written"' not in text:
                continue
            line = json.loads(text)
            if line.get("message") == "feed entries written":
                for follower in line["followers"]:
                    self.logged_writes[(follower, line["yubl_id"])] += 1
        return len(self.logged_writes)

    def table_items(self, table: str, timeout: float = 900) -> Iterator[dict[str, Any]]:
        """Every item of ``table``, in one pass: ExportTableToPointInTime into an emulator bucket.

        Not a Query per user (moto sorts the whole table on every Query) and not a Scan:
        moto takes about a minute to serialise each 1 MB Scan page on a loaded machine, 24
        pages for 200,000 entries; its export writes the table in one pass (DynamoDB JSON
        lines, as AWS does).
        """
        dynamodb, s3 = self.client("dynamodb"), self.client("s3")
        dynamodb.update_continuous_backups(
            TableName=table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )
        s3.create_bucket(Bucket=EXPORTS)
        prefix = f"{table}-{time.time_ns()}"
        export = dynamodb.export_table_to_point_in_time(
            TableArn=dynamodb.describe_table(TableName=table)["Table"]["TableArn"],
            S3Bucket=EXPORTS,
            S3Prefix=prefix,
            ExportFormat="DYNAMODB_JSON",
        )["ExportDescription"]
        deadline = time.monotonic() + timeout
        pause = 0.05  # a small table's export ends at once; a 200,000-entry one takes minutes
        while export["ExportStatus"] == "IN_PROGRESS" and time.monotonic() < deadline:
            time.sleep(pause)
            pause = min(2 * pause, 2.0)
            export = dynamodb.describe_export(ExportArn=export["ExportArn"])["ExportDescription"]
        assert export["ExportStatus"] == "COMPLETED", export
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=EXPORTS, Prefix=prefix):
            for data in page.get("Contents", []):
                if "/data/" not in data["Key"]:
                    continue
                body = s3.get_object(Bucket=EXPORTS, Key=data["Key"])["Body"].read()
                for line in gzip.decompress(body).splitlines():
                    if line.strip():
                        yield json.loads(line)["Item"]

    def queue_depth(self, name: str) -> int:
        sqs = self.client("sqs")
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        attributes = sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return sum(int(v) for v in attributes.values())

    def dead_letter_reasons(self, most: int = 10) -> list[str]:
        """Handler and error of up to ``most`` dead letters, left in the queue."""
        sqs = self.client("sqs")
        url = sqs.get_queue_url(QueueName=DEAD_LETTERS)["QueueUrl"]
        answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=most, VisibilityTimeout=0)
        reasons = []
        for message in answer.get("Messages", []):
            letter = json.loads(message["Body"])
            error = letter.get("error") or {}
            reasons.append(f"{letter.get('handler')}: {error.get('type')}: {error.get('message')}")
        return reasons

    def metric_total(self, name: str, **dimensions: str) -> float:
        """The sum of one EMF metric over every line logged so far."""
        total = 0.0
        for line in self.log_lines():
            if name in line and all(line.get(k) == v for k, v in dimensions.items()):
                value = line[name]
                total += sum(value) if isinstance(value, list) else float(value)
        return total


def quick_timeout_project(where: Path, timeout_seconds: int, margin_ms: int) -> Path:
    """This project with the feed workers' ``lambda_timeout`` cut to ``timeout_seconds``
    (both lanes': add_to_feed and add_to_feed_priority).

    A message a killed runtime had received comes back only when its hold ends (every
    retry and invocation fits in it: about three function timeouts plus 30 s, as Lambda
    keeps an async event). A short timeout makes that wait fit a short test; the code and
    every other setting are the project's own (``app.py`` and ``chalicelib`` linked).
    """
    (where / ".chalice").mkdir(parents=True, exist_ok=True)
    for name in ("app.py", "chalicelib"):
        (where / name).symlink_to(PROJECT_DIR / name)
    config = json.loads((PROJECT_DIR / ".chalice" / "config.json").read_text())
    for worker in FEED_WORKERS:
        config["lambda_functions"][worker]["lambda_timeout"] = timeout_seconds
    config["environment_variables"]["FEED_WRITE_TIME_MARGIN_MS"] = str(margin_ms)
    (where / ".chalice" / "config.json").write_text(json.dumps(config))
    return where
