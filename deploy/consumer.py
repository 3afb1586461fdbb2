"""The stream's reader through an enhanced fan-out consumer, when the stage declares one.

The consumer itself is a resource of ``infra/resources.yaml`` (``StreamConsumerName``,
output ``StreamConsumerArn``); what changes here is the reader's mapping, whose
``EventSourceArn`` becomes the consumer's ARN. Neither Chalice path can say so:

- ``chalice package --merge-template`` merges dictionaries key by key, so it cannot turn
  the mapping's ``Stream: {"Fn::Sub": ...}`` into ``{"Ref": ...}``: ``make package``
  rewrites that one property after Chalice (``read_through_consumer``), the ARN being a
  parameter (``StreamConsumerArn``) fed from the resources stack's output;
- ``chalice deploy`` makes and keeps its own mapping on the stream, and a mapping's
  ``EventSourceArn`` cannot be changed: ``make deploy`` adds a mapping on the consumer
  with the same batch settings and the declared ones, then disables Chalice's (in that
  order: the stream is read twice for a moment rather than not at all; the feed is
  idempotent). Declared off again, the consumer's mapping goes and Chalice's is enabled.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from local_runtime.config import ConfigError

__all__ = ["MappingPlan", "plan_mappings", "read_through_consumer"]

CONSUMER_PARAMETER = "StreamConsumerArn"
_COPIED = ("BatchSize", "MaximumBatchingWindowInSeconds", "StartingPosition")


def _kinesis_events(sam: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        event["Properties"]
        for resource in sam.get("Resources", {}).values()
        if resource.get("Type") == "AWS::Serverless::Function"
        for event in resource.get("Properties", {}).get("Events", {}).values()
        if event.get("Type") == "Kinesis"
    ]


def read_through_consumer(sam: dict[str, Any], consumer_name: str) -> None:
    """Make the template's one stream reader read through the declared consumer."""
    events = _kinesis_events(sam)
    if len(events) != 1:
        raise ConfigError(
            f"stream_consumer_name {consumer_name!r}: the app must have exactly one Kinesis "
            f"reader to give the consumer to, it has {len(events)}"
        )
    sam.setdefault("Parameters", {})[CONSUMER_PARAMETER] = {
        "Type": "String",
        "AllowedPattern": "arn:aws[a-z-]*:kinesis:[a-z0-9-]+:[0-9]{12}:stream/.+/consumer/.+",
        "Description": f"ARN of the stream's consumer {consumer_name} (the resources stack's "
        "StreamConsumerArn output)",
    }
    events[0]["Stream"] = {"Ref": CONSUMER_PARAMETER}


@dataclass
class MappingPlan:
    """What to do to one function's Kinesis mappings (Lambda's own field names)."""

    create: dict[str, Any] | None = None  # CreateEventSourceMapping arguments
    enable: dict[str, bool] = field(default_factory=dict)  # mapping UUID -> Enabled
    delete: list[str] = field(default_factory=list)  # mapping UUIDs
    keep: list[str] = field(default_factory=list)  # UUIDs that get the declared settings


def _is_consumer(arn: str) -> bool:
    return "/consumer/" in arn


def plan_mappings(
    function_arn: str,
    mappings: list[Mapping[str, Any]],
    consumer_arn: str | None,
    enabled: bool = True,
) -> MappingPlan:
    """From the function's mappings as Lambda reports them, what makes it read as declared:
    through ``consumer_arn``, or from the stream (Chalice's mapping) when it is None.
    ``enabled``: the declared ``Enabled`` (the reader's, whichever mapping it is)."""
    plan = MappingPlan()
    on_stream = [m for m in mappings if not _is_consumer(m["EventSourceArn"])]
    ours = [m for m in mappings if m["EventSourceArn"] == consumer_arn]
    plan.delete = [
        m["UUID"]
        for m in mappings
        if _is_consumer(m["EventSourceArn"]) and m["EventSourceArn"] != consumer_arn
    ]
    wanted = enabled and consumer_arn is None
    for mapping in on_stream:
        if (mapping.get("State") in ("Enabled", "Enabling", "Updating")) != wanted:
            plan.enable[mapping["UUID"]] = wanted
    if consumer_arn is None:
        plan.keep = [m["UUID"] for m in on_stream]
    elif ours:
        plan.keep = [m["UUID"] for m in ours]
    elif on_stream:
        plan.create = {
            "FunctionName": function_arn,
            "EventSourceArn": consumer_arn,
            **{key: on_stream[0][key] for key in _COPIED if key in on_stream[0]},
        }
    else:
        raise ConfigError(f"{function_arn}: no mapping on the stream to read through a consumer")
    return plan
