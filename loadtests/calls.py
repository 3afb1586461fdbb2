"""Counted calls sorted into the write path, polling and the rest."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

__all__ = [
    "ACCOUNTS_ON_THE_WRITE_PATH",
    "POLLING",
    "WRITE_PATH",
    "base_operation",
    "merge",
    "split_calls",
]

# calls made per post or per entry, bookkeeping (the dispatcher's progress item,
# parking a record) included: what requests_per_1000_entries counts; the accounts' calls
# per post and per archive object (ACCOUNTS_ON_THE_WRITE_PATH); and Feeds.Query,
# the capped feeds' trims (loadtests.counting)
WRITE_PATH = frozenset(
    {
        "PutRecord",
        "PutRecords",
        "Query",
        "PublishBatch",
        "Publish",
        "BatchWriteItem",
        "BatchGetItem",  # the feed workers' activity lookups (skipping inactive followers)
        "PutItem",
        "GetItem",
        "UpdateItem",
        "DeleteItem",
        "SendMessage",
    }
)
ACCOUNTS_ON_THE_WRITE_PATH = ("Accounts.BatchGetItem", "Accounts.BatchWriteItem")
"""The dispatcher's read of each post's author's status, and the archive worker's of each
object's authors with its index rows. The sign-in middleware's ``Accounts.GetItem`` is
not: it is paced per user and ``ACCOUNT_STATUS_CACHE_SECONDS``, as ``Config.GetItem`` is
by its TTL."""
# calls the event sources make whether or not there is work: on AWS, the Lambda
# service's (plus the local runtime's checkpoints, named LocalRuntime.*)
POLLING = frozenset(
    {
        "GetRecords",
        "GetShardIterator",
        "ReceiveMessage",
        "DeleteMessage",
        "DeleteMessageBatch",
        "ChangeMessageVisibility",
        "ChangeMessageVisibilityBatch",
    }
)


def merge(tallies: Iterable[Mapping[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for tally in tallies:
        for op, n in tally.items():
            total[op] = total.get(op, 0) + n
    return total


def base_operation(name: str) -> str:
    """The API operation of a counted name: ``Query`` for ``Query``, ``Feeds.Query`` and
    ``Query@relationships-local`` alike (``loadtests.counting`` names them apart)."""
    return name.split("@")[0].rsplit(".", 1)[-1]


def split_calls(calls: Mapping[str, int]) -> dict[str, dict[str, int]]:
    """``{"write_path": ..., "polling": ..., "other": ...}``, each sorted by operation."""
    groups: dict[str, dict[str, int]] = {"write_path": {}, "polling": {}, "other": {}}
    for op in sorted(calls):
        base = op.split("@")[0]  # BENCH_COUNT_TABLES=1 names DynamoDB calls op@table
        if base in WRITE_PATH or base in ("Feeds.Query", *ACCOUNTS_ON_THE_WRITE_PATH):
            group = "write_path"
        elif base in POLLING or op.startswith("LocalRuntime."):
            group = "polling"
        else:
            group = "other"
        groups[group][op] = calls[op]
    return groups
