"""The stack's hook for local data: restore the snapshot at start, take one at a clean stop.

What cannot come back is said at start: config secrets are sealed under data keys of the
previous emulator's KMS key, whose material died with it, so each restored secret is
tried against KMS and those it refuses are named in one line of the stack's output.
That check reads the config table's stored shape (head item ``version`` 0, ``secret``,
``value`` = base64 of a JSON envelope whose ``key`` is the KMS-encrypted data key, the
config key as encryption context; see ``chalicelib/config/crypto.py``) as ``trace.py``
reads the log format: devstack never imports ``chalicelib``.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

from .snapshot import (
    SNAPSHOT_FILE,
    SnapshotError,
    StackData,
    restore,
    stack_data,
    take,
    taken_at,
)

__all__ = ["LocalData", "snapshot_interval", "unreadable_secrets"]


def snapshot_interval(environ: Mapping[str, str] = os.environ) -> float:
    """``LOCAL_SNAPSHOT_SECONDS`` (default 300, 0 = only at a clean stop): how often a
    running stack also saves its data, so a SIGKILL loses at most that much."""
    return max(0.0, float(environ.get("LOCAL_SNAPSHOT_SECONDS") or 300))


def _data_key(value: str) -> bytes | None:
    try:
        envelope = json.loads(base64.b64decode(value, validate=True))
        return base64.b64decode(envelope["key"], validate=True)
    except (binascii.Error, ValueError, KeyError, TypeError):
        return None


def unreadable_secrets(dynamodb: Any, kms: Any, config_table: str) -> list[str]:
    """The config keys whose live secret value KMS no longer decrypts, sorted."""
    unreadable = []
    pages = dynamodb.get_paginator("scan").paginate(
        TableName=config_table,
        FilterExpression="#v = :head AND secret = :yes AND (attribute_not_exists(deleted) "
        "OR deleted = :no)",
        ExpressionAttributeNames={"#v": "version"},
        ExpressionAttributeValues={
            ":head": {"N": "0"},
            ":yes": {"BOOL": True},
            ":no": {"BOOL": False},
        },
    )
    for page in pages:
        for item in page["Items"]:
            key = item["key"]["S"]
            blob = _data_key(item.get("value", {}).get("S", ""))
            if blob is None:
                unreadable.append(key)
                continue
            try:
                kms.decrypt(CiphertextBlob=blob, EncryptionContext={"config_key": key})
            except ClientError:
                unreadable.append(key)
    return sorted(unreadable)


def _readable(timestamp: str) -> str:
    """An ISO timestamp as ``2026-01-02 03:04:05 UTC``."""
    try:
        return datetime.fromisoformat(timestamp).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    except ValueError:
        return timestamp


@dataclass
class LocalData:
    """One stack run's snapshot: restored once at start, taken at each clean stop.

    ``restored`` guards the snapshot: a stack that failed before its data came back
    must not overwrite the good snapshot with an empty one.
    """

    directory: Path
    stack_name: str
    log: Callable[[str], None]
    config_table: str | None = None
    every: float = 0.0  # seconds between snapshots of a running stack; 0: at stop only
    restored: bool = False
    _due: float = field(default=0.0, init=False)
    resources: StackData = field(default_factory=StackData)

    @property
    def path(self) -> Path:
        return self.directory / SNAPSHOT_FILE

    def _clients(self) -> dict[str, Any]:
        return {
            "dynamodb": boto3.client("dynamodb"),
            "dynamodb_resource": boto3.resource("dynamodb"),
            "s3": boto3.client("s3"),
        }

    def restore(self) -> None:
        self.resources = stack_data(boto3.client("cloudformation"), self.stack_name)
        if not self.path.exists():
            self.log(f"no local data snapshot in {self.directory}: starting empty")
            self.restored = True
            self._due = time.monotonic() + self.every
            return
        try:
            done = restore(self._clients(), self.resources, self.path, progress=self.log)
        except SnapshotError as err:
            raise RuntimeError(f"{err}; `make reset` starts empty") from None
        rows = sum(done["tables"].values())
        objects = sum(done["buckets"].values())
        self.log(
            f"restored {rows} items in {len(done['tables'])} tables and {objects} bucket "
            f"objects from {self.path} (taken {done['taken_at']})"
        )
        if done["gone"]:
            self.log(f"not restored, the stack no longer has: {', '.join(sorted(done['gone']))}")
        self.restored = True
        self._due = time.monotonic() + self.every
        if self.config_table:
            keys = unreadable_secrets(
                boto3.client("dynamodb"), boto3.client("kms"), self.config_table
            )
            if keys:
                self.log(
                    f"config secrets unreadable after the restart (the emulator's KMS key "
                    f"material is new): {', '.join(keys)}; PUT them again"
                )

    def take(self, quiet: bool = False) -> None:
        if not self.restored:
            return
        if not quiet:
            self.log(f"saving local data to {self.path} (Ctrl-C again: quit without saving)")
        counts = take(self._clients(), self.resources, self.stack_name, self.path)
        self._due = time.monotonic() + self.every
        if not quiet:
            rows = sum(counts["tables"].values())
            objects = sum(counts["buckets"].values())
            self.log(f"saved {rows} items and {objects} bucket objects to {self.path}")

    def report_lost(self, reason: str) -> None:
        """Say that this stop saves nothing, why, what is lost, and what the next start
        restores instead (a stack stopped before its restore has nothing to lose)."""
        if not self.restored:
            return
        self.log(f"local data NOT saved to {self.path}: {reason}")
        buckets = sorted(self.resources.buckets)
        held = f"the tables {', '.join(sorted(self.resources.tables))}"
        if buckets:
            held += f" and the bucket{'s' if len(buckets) > 1 else ''} {', '.join(buckets)}"
        try:
            kept = taken_at(self.path)
        except (SnapshotError, OSError) as err:
            self.log(f"lost: every change this run made to {held}")
            self.log(f"{err}: the next make run refuses it (`make reset` starts empty)")
            return
        if kept is None:
            self.log(f"lost: every change this run made to {held}")
            self.log(
                f"there is no earlier snapshot in {self.directory}: the next make run is empty"
            )
        else:
            self.log(f"lost: every change made since {_readable(kept)} to {held}")
            self.log(f"the next make run restores the last good snapshot, {self.path}")

    def take_if_due(self) -> None:
        """The periodic snapshot, quietly; a failure is said and the previous file stays."""
        if not self.every or time.monotonic() < self._due:
            return
        try:
            self.take(quiet=True)
        except Exception as err:
            self._due = time.monotonic() + self.every
            self.log(f"could not save local data: {err}")
