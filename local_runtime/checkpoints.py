"""Shard checkpoints kept in DynamoDB, as the Kinesis Client Library keeps its leases.

Stored in the emulator (or whatever endpoint the environment names), so a restart of
the runtime resumes where the last one stopped, as a Lambda mapping does. Writes are
conditional, like the KCL's: a checkpoint only ever moves forward, whichever thread or
process writes last.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

__all__ = ["Checkpoint", "CheckpointStore", "sequence_order"]

_ORDER_WIDTH = 128  # Kinesis sequence numbers are at most 128 digits


def sequence_order(sequence_number: str) -> str:
    """A sequence number as a string that sorts like the number (DynamoDB compares strings)."""
    return sequence_number.zfill(_ORDER_WIDTH)


@dataclass(frozen=True)
class Checkpoint:
    """Where one mapping stands in one shard.

    ``sequence_number``: the last record done (processed or sent to the destination).
    ``opened_at``: when a LATEST mapping first read the shard, so a restart before the
    first record resumes from then and loses nothing. ``shard_end``: the closed shard is
    drained; its children may start.
    """

    sequence_number: str | None = None
    opened_at: float | None = None
    shard_end: bool = False


class CheckpointStore:
    """One item per (mapping, shard) in a table created on first use."""

    def __init__(self, dynamodb: Any, table_name: str) -> None:
        self._db = dynamodb
        self.table_name = table_name

    def ensure_table(self) -> None:
        try:
            self._db.describe_table(TableName=self.table_name)
            return
        except ClientError as err:
            if err.response["Error"]["Code"] != "ResourceNotFoundException":
                raise
        try:
            self._db.create_table(
                TableName=self.table_name,
                KeySchema=[
                    {"AttributeName": "mapping", "KeyType": "HASH"},
                    {"AttributeName": "shard_id", "KeyType": "RANGE"},
                ],
                AttributeDefinitions=[
                    {"AttributeName": "mapping", "AttributeType": "S"},
                    {"AttributeName": "shard_id", "AttributeType": "S"},
                ],
                BillingMode="PAY_PER_REQUEST",
            )
        except ClientError as err:
            if err.response["Error"]["Code"] != "ResourceInUseException":
                raise
        self._db.get_waiter("table_exists").wait(
            TableName=self.table_name, WaiterConfig={"Delay": 1, "MaxAttempts": 30}
        )

    def load(self, mapping: str) -> dict[str, Checkpoint]:
        """Every shard's checkpoint of ``mapping``."""
        found: dict[str, Checkpoint] = {}
        kwargs: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "#m = :m",
            "ExpressionAttributeNames": {"#m": "mapping"},
            "ExpressionAttributeValues": {":m": {"S": mapping}},
            "ConsistentRead": True,
        }
        while True:
            page = self._db.query(**kwargs)
            for item in page.get("Items", []):
                found[item["shard_id"]["S"]] = Checkpoint(
                    sequence_number=item["sequence_number"]["S"]
                    if "sequence_number" in item
                    else None,
                    opened_at=float(item["opened_at"]["N"]) if "opened_at" in item else None,
                    shard_end=bool(item.get("shard_end", {}).get("BOOL", False)),
                )
            if "LastEvaluatedKey" not in page:
                return found
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def save(self, mapping: str, shard_id: str, checkpoint: Checkpoint) -> bool:
        """Write ``checkpoint`` unless a later one is stored; False when it was not written.

        A checkpoint without a sequence number (LATEST's opening time, an empty shard's
        end) is only written where no sequence number is stored yet.
        """
        item: dict[str, Any] = {
            "mapping": {"S": mapping},
            "shard_id": {"S": shard_id},
            "shard_end": {"BOOL": checkpoint.shard_end},
            "updated_at": {"N": repr(time.time())},
        }
        condition = "attribute_not_exists(sequence_order)"
        values: dict[str, Any] = {}
        if checkpoint.sequence_number is not None:
            order = sequence_order(checkpoint.sequence_number)
            item["sequence_number"] = {"S": checkpoint.sequence_number}
            item["sequence_order"] = {"S": order}
            condition += " OR sequence_order <= :order"
            values = {"ExpressionAttributeValues": {":order": {"S": order}}}
        if checkpoint.opened_at is not None:
            item["opened_at"] = {"N": repr(checkpoint.opened_at)}
        try:
            self._db.put_item(
                TableName=self.table_name, Item=item, ConditionExpression=condition, **values
            )
        except ClientError as err:
            if err.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True
