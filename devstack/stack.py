"""The whole local stack: emulator, infrastructure, event runtime, HTTP API."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import boto3

from .cores import Cores
from .emulator import Emulator, aws_environment, check_port_free, start_emulator, wait_for_http
from .infra import deploy_stack, stack_name
from .logs import DEFAULT_LOG_DIR, STACK_LOG, keep_previous
from .persistence import LocalData
from .processes import Child, start_child
from .user_pool import ensure_user_pool, identity_environment

__all__ = [
    "GENERATED_ID_SETTINGS",
    "OUTPUT_SETTINGS",
    "PROJECT_DIR",
    "LocalStack",
    "check_stage_settings",
]

PROJECT_DIR = Path(__file__).resolve().parent.parent

# infrastructure output -> the environment variable that carries it to the code
OUTPUT_SETTINGS = {
    "YublPostedStreamName": "YUBL_POSTED_STREAM",
    "RelationshipsTableName": "RELATIONSHIPS_TABLE",
    "FeedsTableName": "FEEDS_TABLE",
    "PostsTableName": "POSTS_TABLE",
    "MutesTableName": "MUTES_TABLE",
    "ActivityTableName": "ACTIVITY_TABLE",
    "AuthorsTableName": "AUTHORS_TABLE",
    "FanoutProgressTableName": "FANOUT_PROGRESS_TABLE",
    "RetryQueueName": "RETRY_QUEUE",
    "DeadLetterQueueName": "DEAD_LETTER_QUEUE",
    "ShortLinksTableName": "SHORT_LINKS_TABLE",
    "ConfigTableName": "CONFIG_TABLE",
    "ConfigApiKeysTableName": "CONFIG_API_KEYS_TABLE",
    "ConfigKeyAliasName": "CONFIG_KMS_KEY",
    "NotificationsTableName": "NOTIFICATIONS_TABLE",
    "ArchiveQueueName": "ARCHIVE_QUEUE",
    "ArchiveBucketName": "ARCHIVE_BUCKET",
    "FanoutWorkTopic": "FANOUT_WORK_TOPIC",
    "UsersTableName": "USERS_TABLE",
    "ArchiveIndexTableName": "ARCHIVE_INDEX_TABLE",
    "AccountsQueueName": "ACCOUNTS_QUEUE",
    "ExportsQueueName": "EXPORTS_QUEUE",
    "ExportsBucketName": "EXPORTS_BUCKET",
}
"""Stack outputs that name a resource, and the stage setting that must hold that name."""

GENERATED_ID_SETTINGS = {
    "UserPoolId": "USER_POOL_ID",
    "UserPoolClientId": "USER_POOL_CLIENT_ID",
}
"""Stack outputs that are ids AWS generates, not names: ``make deploy`` writes them into
the stage's settings; the local stack hands its own pool's ids to the API instead."""


def check_stage_settings(outputs: dict[str, str], stage: str, project_dir: Path) -> None:
    """Fail loudly if ``.chalice/config.json`` names other resources than the stack made."""
    config = json.loads((project_dir / ".chalice" / "config.json").read_text())
    env = config["stages"][stage]["environment_variables"]
    wrong = [
        f"{var}={env.get(var)!r} but the stack made {outputs[key]!r}"
        for key, var in OUTPUT_SETTINGS.items()
        if env.get(var) != outputs.get(key)
    ]
    made = sorted(value for key, value in outputs.items() if key.endswith("TopicName"))
    declared = sorted(json.loads(env.get("GROUP_TOPICS") or "{}").values())
    if made != declared:
        wrong.append(f"GROUP_TOPICS names topics {declared} but the stack made {made}")
    lanes = sorted(value for key, value in outputs.items() if key.endswith("PriorityTopic"))
    named = sorted(json.loads(env.get("PRIORITY_GROUP_TOPICS") or "{}").values())
    if lanes != named:
        wrong.append(f"PRIORITY_GROUP_TOPICS names topics {named} but the stack made {lanes}")
    if wrong:
        raise RuntimeError(
            f".chalice/config.json stage {stage!r} is out of date: " + "; ".join(wrong)
        )


_CHILD_LOGS = ("emulator.log", "runtime.log", "api.log")


@dataclass
class LocalStack:
    """Starts every part in order and stops them in reverse; one object, one lifetime."""

    aws_port: int = 4566
    api_port: int = 8000
    stage: str = "local"
    project_dir: Path = PROJECT_DIR
    echo: bool = True
    retry_visibility_seconds: int = 5  # a failed parked record shows again this soon
    log_dir: Path = DEFAULT_LOG_DIR
    emulator_request_log: bool = True  # False: no line per request in emulator.log
    query_index: bool = True  # False: stock moto's Query, reading every item (LOCAL_QUERY_INDEX)
    data_dir: Path | None = None  # the snapshot of local data; None keeps nothing
    snapshot_every: float = 0.0  # seconds between snapshots while running; 0: at stop only
    cores: Cores | None = None  # the emulator's and its callers' cores; None: the scheduler's
    data: LocalData | None = None
    emulator: Emulator | None = None
    children: list[Child] = field(default_factory=list)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def environment(self) -> dict[str, str]:
        assert self.emulator is not None
        return {
            **aws_environment(self.emulator.endpoint_url),
            "LOCAL_LOG_FILE": str(self.log_dir / STACK_LOG),
        }

    def start(self) -> None:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> None:
        check_port_free(self.aws_port, "LOCAL_AWS_PORT")
        check_port_free(self.api_port, "API_PORT")
        for name in (STACK_LOG, *_CHILD_LOGS):  # after the port checks: never a running stack's
            keep_previous(self.log_dir / name)
        query = "by partition and index" if self.query_index else "stock, LOCAL_QUERY_INDEX=0"
        self.log(
            f"starting the AWS emulator (moto server; DynamoDB Query {query}) "
            f"on 127.0.0.1:{self.aws_port}"
        )
        if self.cores is not None:
            self.log(f"cores: {self.cores.describe()}")
        self.emulator = start_emulator(
            self.aws_port,
            log=self.log_dir / "emulator.log",
            request_log=self.emulator_request_log,
            query_index=self.query_index,
            cpus=None if self.cores is None else self.cores.emulator,
        )
        env = self.environment()
        os.environ.update(env)  # for our own boto3 calls below
        self.log("deploying infra/resources.yaml through the emulator's CloudFormation API")
        outputs = deploy_stack(
            boto3.client("cloudformation"),
            self.stage,
            {"RetryVisibilityTimeoutSeconds": str(self.retry_visibility_seconds)},
            sns=boto3.client("sns"),
            sqs=boto3.client("sqs"),
        )
        check_stage_settings(outputs, self.stage, self.project_dir)
        self.log("creating the user pool and app client of infra/resources.yaml")
        pool = ensure_user_pool(boto3.client("cognito-idp"), self.stage)
        env.update(identity_environment(pool, self.emulator.endpoint_url))
        if self.data_dir is not None:  # before any function runs (devstack.persistence)
            self.data = LocalData(
                self.data_dir,
                stack_name(self.stage),
                self.log,
                outputs.get("ConfigTableName"),
                self.snapshot_every,
            )
            self.data.restore()
        python = sys.executable
        self.log("starting the local event runtime")
        runtime = start_child(
            "runtime",
            [
                python,
                "-m",
                "local_runtime",
                "--project-dir",
                str(self.project_dir),
                "--stage",
                self.stage,
            ],
            env,
            self.log_dir,
            self.project_dir,
            echo=self.echo,
            cpus=self._callers_cores(),
        )
        self.children.append(runtime)
        runtime.wait_for_line("ready", timeout=60)
        self.log(f"starting the HTTP API on 127.0.0.1:{self.api_port}")
        api = start_child(
            "api",
            [
                python,
                "-m",
                "devstack.api_server",
                "--project-dir",
                str(self.project_dir),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.api_port),
                "--stage",
                self.stage,
            ],
            env,
            self.log_dir,
            self.project_dir,
            echo=self.echo,
            cpus=self._callers_cores(),
        )
        self.children.append(api)
        wait_for_http(f"{self.api_url}/health", timeout=60, process=api.process)

    def _callers_cores(self) -> frozenset[int] | None:
        return None if self.cores is None else self.cores.callers

    def failed_part(self) -> str | None:
        """What ended on its own, said as ``<name> exited with code <n>``; None if all run."""
        codes = [(child.name, child.process.poll()) for child in self.children]
        if self.emulator is not None:
            codes.append(("the AWS emulator", self.emulator.process.poll()))
        return next(
            (f"{name} exited with code {code}" for name, code in codes if code is not None), None
        )

    def stop(self) -> bool:
        """Stop the children, save the local data, then stop the emulator; False when data
        was due and not saved (what is lost is said). A ``KeyboardInterrupt`` (a second
        Ctrl-C) quits without saving: said too, then raised once every part is stopped."""
        try:
            self._stop_children()
            return self._save()
        except KeyboardInterrupt:
            if self.data is not None:
                self.data.report_lost("a second Ctrl-C quit without saving")
            raise
        finally:
            self.data = None
            self._stop_children()  # again: a Ctrl-C may have cut the first round short
            if self.emulator is not None:
                self.emulator.stop()
                self.emulator = None

    def _stop_children(self) -> None:
        while self.children:
            self.children[-1].stop()
            self.children.pop()

    def _save(self) -> bool:
        if self.data is None or self.emulator is None:
            return True
        if self.emulator.process.poll() is not None:
            code = self.emulator.process.returncode
            self.data.report_lost(f"the AWS emulator exited with code {code}, its data with it")
            return False
        try:
            self.data.take()
        except Exception as err:  # the previous snapshot stays; say what this stop loses
            self.data.report_lost(str(err))
            return False
        return True

    def log(self, message: str) -> None:
        if self.echo:
            print(f"[stack] {message}", flush=True)
