"""DynamoDB capacity units of the calls a client makes, from what goes over the wire.

The emulator's ``ConsumedCapacity`` is a constant per call, not DynamoDB's rule, so the
units are worked out here from the items each request writes and each response returns,
by DynamoDB's published rules: an item's size is its attribute names plus values (a
string's UTF-8 bytes, a number's digits / 2 + 1); a write costs one unit per started KB
of the item; a read one unit per started 4 KB, half that when
eventually consistent; a Query is billed on the summed size of what it returns, at
least one half unit; a BatchGetItem key that finds nothing still costs a half unit (a
whole one when its table is read consistently: BatchGetItem asks that per table).
Update expressions are billed at one unit (every item here is under 1 KB). Items a
Query's filter drops are not in the response, so their reads are not counted.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from typing import Any

__all__ = ["CapacityMeter", "item_bytes", "write_units"]


def _value_bytes(value: dict[str, Any]) -> int:
    ((kind, raw),) = value.items()
    if kind == "S":
        return len(str(raw).encode())
    if kind == "N":
        return len(str(raw).lstrip("-").replace(".", "")) // 2 + 1
    if kind == "M":
        return 3 + item_bytes(raw)
    if kind == "L":
        return 3 + sum(1 + _value_bytes(v) for v in raw)
    if kind in ("SS", "NS"):
        return sum(len(str(v).encode()) for v in raw)
    return 1  # BOOL, NULL


def item_bytes(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + _value_bytes(value) for name, value in item.items())


def write_units(item: dict[str, Any]) -> int:
    """One unit per started KB of the item (a PutItem, or a put in a BatchWriteItem)."""
    return max(1, math.ceil(item_bytes(item) / 1024))


def _read_units(size: int, consistent: bool) -> float:
    units = max(1, math.ceil(size / 4096))
    return float(units) if consistent else units / 2


@dataclass
class CapacityMeter:
    """Read and write units of every DynamoDB call of the clients it is attached to."""

    read_units: float = 0.0
    write_units: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def attach(self, client: Any) -> Any:
        client.meta.events.register("before-parameter-build.dynamodb.*", self._request)
        client.meta.events.register("after-call.dynamodb.*", self._response)
        return client

    def snapshot(self) -> tuple[float, float]:
        with self._lock:
            return self.read_units, self.write_units

    def _add(self, reads: float = 0.0, writes: float = 0.0) -> None:
        with self._lock:
            self.read_units += reads
            self.write_units += writes

    def _request(
        self, model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any
    ) -> None:
        name = model.name
        context["capacity_consistent"] = bool(params.get("ConsistentRead"))
        if name == "BatchGetItem":  # ConsistentRead is asked per table there
            context["capacity_keys"] = {
                table: (len(asked["Keys"]), bool(asked.get("ConsistentRead")))
                for table, asked in params.get("RequestItems", {}).items()
            }
        if name == "BatchWriteItem":
            units = sum(
                write_units(request["PutRequest"]["Item"]) if "PutRequest" in request else 1
                for requests in params.get("RequestItems", {}).values()
                for request in requests
            )
            self._add(writes=units)
        elif name == "PutItem":
            self._add(writes=write_units(params["Item"]))
        elif name in ("UpdateItem", "DeleteItem"):
            self._add(writes=1)

    def _response(
        self, model: Any, parsed: dict[str, Any], context: dict[str, Any], **_: Any
    ) -> None:
        name = model.name
        consistent = bool(context.get("capacity_consistent"))
        if name == "Query":
            size = sum(item_bytes(item) for item in parsed.get("Items", []))
            self._add(reads=_read_units(size, consistent))
        elif name == "GetItem":
            self._add(reads=_read_units(item_bytes(parsed.get("Item", {})), consistent))
        elif name == "BatchGetItem":
            asked = context.get("capacity_keys", {})
            unprocessed = parsed.get("UnprocessedKeys", {})
            units = 0.0
            for table, items in parsed.get("Responses", {}).items():
                keys, consistent = asked.get(table, (len(items), False))
                units += sum(_read_units(item_bytes(item), consistent) for item in items)
                missing = keys - len(unprocessed.get(table, {}).get("Keys", [])) - len(items)
                units += max(0, missing) * _read_units(0, consistent)
            self._add(reads=units)
