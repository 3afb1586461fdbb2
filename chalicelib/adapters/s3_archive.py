"""ArchiveStore on an S3 bucket: one newline-delimited JSON object per put."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["S3ArchiveStore"]


class S3ArchiveStore:
    def __init__(self, s3_client: Any, bucket: str) -> None:
        self._s3 = s3_client
        self._bucket = bucket

    def put_object(self, key: str, lines: Sequence[str]) -> None:
        body = "".join(f"{line}\n" for line in lines).encode("utf-8")
        self._s3.put_object(
            Bucket=self._bucket, Key=key, Body=body, ContentType="application/x-ndjson"
        )
