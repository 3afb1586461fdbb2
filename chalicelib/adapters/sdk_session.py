"""One botocore session per process, behind every AWS client: boto3's and PynamoDB's.

Why: a botocore session loads a service's model from disk the first time a client of it
is built, and keeps it; another session loads it again. PynamoDB 6.1 builds a session of
its own for each model class (``Connection.session``), so the app's 15 models loaded
DynamoDB's model 15 times: 1.4 s and 440,000 objects on the dev machine, against 0.11 s
and 51,000 from one session. That second lands on every cold start that touches them
all, and every full garbage collection walks those objects again.

PynamoDB has no option for it (pynamodb/PynamoDB#876 and #1245 are open), so
``share_session`` puts the session in the slot where PynamoDB's connection keeps its own,
before that connection's client is first built. ``tests/unit/test_sdk_session.py`` fails
if an upgrade of the pinned PynamoDB moves the slot.

botocore's client creation is not thread-safe on one session (PynamoDB#153 is why
PynamoDB keeps a session per thread), so every client here is built under one lock. A
built client is safe to share between threads, and PynamoDB's connection keeps its one
client for all of them.
"""

from __future__ import annotations

import threading
from functools import cache
from typing import Any, TypeVar

import boto3
import botocore.session
from botocore.config import Config
from pynamodb.models import Model

__all__ = ["client", "share_session"]

M = TypeVar("M", bound=type[Model])

_BUILDING = threading.Lock()


@cache
def _session() -> botocore.session.Session:
    """The process's one botocore session; asked for under ``_BUILDING`` only, so that
    two threads never make two."""
    return botocore.session.get_session()


@cache
def _boto3_session() -> boto3.session.Session:
    return boto3.session.Session(botocore_session=_session())


def client(service: str, config: Config | None = None) -> Any:
    """A new boto3 client of ``service`` from the shared session."""
    with _BUILDING:
        return _boto3_session().client(service, config=config)


def share_session(model: M) -> M:
    """Build ``model``'s PynamoDB client now, from the shared session; returns the model.

    The client is built in this thread, so the session goes in this thread's slot; other
    threads then use the built client and never ask for a session of their own."""
    connection = model._get_connection().connection
    with _BUILDING:
        connection._local.session = _session()
        connection.client  # noqa: B018 - built here, under the lock
    return model
