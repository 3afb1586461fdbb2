"""ArchiveStore on an S3 bucket: one newline-delimited JSON object per put; objects read
and rewritten whole when a user is erased (``ArchiveObjects``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

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

    def get_lines(self, key: str) -> list[str] | None:
        try:
            body = self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read()
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise
        return body.decode("utf-8").splitlines()

    def delete_object(self, key: str) -> None:
        self._s3.delete_object(Bucket=self._bucket, Key=key)
