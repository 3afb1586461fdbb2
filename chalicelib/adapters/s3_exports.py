"""ExportStore on the exports bucket: ``users/<user>/<export>/request.json`` when asked for,
``users/<user>/<export>/export.jsonl`` once written; the bucket's lifecycle rule deletes
both after 7 days.

The file is spooled to a temporary file (memory first, disk past 8 MB) and uploaded with
the SDK's managed transfer (multipart for a large one), so no account is too large for
the worker's memory.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable
from typing import Any

from botocore.exceptions import ClientError

from ..domain.exports import ExportRequest

__all__ = ["S3ExportStore"]

_SPOOL_BYTES = 8 * 1024 * 1024
_MISSING = ("404", "NoSuchKey", "NotFound")


def _prefix(user_id: str) -> str:
    return f"users/{user_id}/"


def _request_key(user_id: str, export_id: str) -> str:
    return f"{_prefix(user_id)}{export_id}/request.json"


def _export_key(user_id: str, export_id: str) -> str:
    return f"{_prefix(user_id)}{export_id}/export.jsonl"


class S3ExportStore:
    def __init__(self, s3_client: Any, bucket: str) -> None:
        self._s3 = s3_client
        self._bucket = bucket

    def put_request(self, request: ExportRequest) -> None:
        body = json.dumps({"user_id": request.user_id, "requested_at": request.requested_at})
        self._s3.put_object(
            Bucket=self._bucket,
            Key=_request_key(request.user_id, request.export_id),
            Body=body.encode(),
            ContentType="application/json",
        )

    def _exists(self, key: str) -> bool:
        try:
            self._s3.head_object(Bucket=self._bucket, Key=key)
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") in _MISSING:
                return False
            raise
        return True

    def state(self, user_id: str, export_id: str) -> str | None:
        if self._exists(_export_key(user_id, export_id)):
            return "ready"
        return "pending" if self._exists(_request_key(user_id, export_id)) else None

    def write(self, user_id: str, export_id: str, lines: Iterable[str]) -> int:
        written = 0
        with tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES) as spool:
            for line in lines:
                spool.write(line.encode("utf-8") + b"\n")
                written += 1
            spool.seek(0)
            self._s3.upload_fileobj(
                spool,
                self._bucket,
                _export_key(user_id, export_id),
                ExtraArgs={
                    "ContentType": "application/x-ndjson",
                    "ContentDisposition": f'attachment; filename="{user_id}-{export_id}.jsonl"',
                },
            )
        return written

    def url(self, user_id: str, export_id: str, seconds: int) -> str:
        return str(
            self._s3.generate_presigned_url(
                "get_object",
                Params={"Bucket": self._bucket, "Key": _export_key(user_id, export_id)},
                ExpiresIn=seconds,
            )
        )

    def delete_all(self, user_id: str) -> int:
        deleted = 0
        pages = self._s3.get_paginator("list_objects_v2").paginate(
            Bucket=self._bucket, Prefix=_prefix(user_id)
        )
        for page in pages:
            keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if keys:  # a page holds at most 1,000 keys, DeleteObjects takes as many
                self._s3.delete_objects(Bucket=self._bucket, Delete={"Objects": keys})
                deleted += len(keys)
        return deleted
