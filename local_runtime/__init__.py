"""A local stand-in for the Lambda service's event sources, for any Chalice app.

Runs Kinesis, SNS and SQS handlers against whatever AWS endpoint the environment
names, with Lambda's batching, retry, checkpoint and destination rules. Knows
Chalice, never the app it runs.
"""

from __future__ import annotations

from local_runtime.config import ConfigError
from local_runtime.context import FunctionIdentity, LambdaContext
from local_runtime.invoker import Invocation
from local_runtime.project import Project, load_project
from local_runtime.runtime import LocalRuntime

__all__ = [
    "ConfigError",
    "FunctionIdentity",
    "Invocation",
    "LambdaContext",
    "LocalRuntime",
    "Project",
    "load_project",
]
