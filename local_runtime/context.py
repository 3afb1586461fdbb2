"""The context object Lambda passes next to the event.

Powertools' Logger and Chalice's middleware read these attributes; Lambda's Python
runtime names them exactly so.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

__all__ = ["FunctionIdentity", "LambdaContext"]


@dataclass(frozen=True)
class FunctionIdentity:
    """What stays the same across every invocation of one function."""

    function_name: str
    region: str
    account_id: str
    memory_limit_in_mb: int = 128
    timeout_seconds: int = 60

    @property
    def function_arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account_id}:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"


class LambdaContext:
    """One invocation's context: a fresh request id and a deadline from the timeout."""

    def __init__(self, function: FunctionIdentity, aws_request_id: str | None = None) -> None:
        self._deadline = time.monotonic() + function.timeout_seconds
        self.aws_request_id = aws_request_id or str(uuid.uuid4())
        self.function_name = function.function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = function.function_arn
        self.memory_limit_in_mb = function.memory_limit_in_mb
        self.log_group_name = function.log_group_name
        day = time.strftime("%Y/%m/%d", time.gmtime())
        self.log_stream_name = f"{day}/[$LATEST]{uuid.uuid4().hex}"
        self.identity = None
        self.client_context = None

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))
