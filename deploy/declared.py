"""The declared event-source settings of one stage, checked by local_runtime's rules.

One declaration (``stages.<stage>.lambda_functions.<function>.event_source``), one set of
rules: the names and ranges are those of ``local_runtime.config``, so a value the local
runtime would refuse is refused here before anything reaches AWS. Only ``FilterPolicy``
and ``FilterPolicyScope`` (an SNS subscription's, not Lambda's) are checked here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local_runtime.config import (
    ConfigError,
    parse_async_settings,
    parse_kinesis_settings,
    parse_sqs_settings,
)

__all__ = [
    "SUBSCRIPTION_KEYS",
    "ConfigError",
    "Declared",
    "declared_settings",
    "read_config",
]

# Settings of the SNS subscription itself (not of the function's asynchronous invocation).
SUBSCRIPTION_KEYS = ("FilterPolicy", "FilterPolicyScope")


@dataclass(frozen=True)
class Declared:
    """One function's ``event_source`` block, split by the API that applies each part."""

    function: str
    kind: str  # "kinesis", "sqs" or "sns"
    settings: Mapping[str, Any]  # mapping settings, or event-invoke settings for "sns"
    subscription: Mapping[str, Any]  # SNS subscription attributes (FilterPolicy)


def read_config(project_dir: Path) -> dict[str, Any]:
    """``.chalice/config.json`` as a dict."""
    path = project_dir / ".chalice" / "config.json"
    config = json.loads(path.read_text())
    if not isinstance(config, dict):
        raise ConfigError(f"{path} must hold a JSON object")
    return config


def _blocks(config: Mapping[str, Any], stage: str) -> dict[str, Mapping[str, Any]]:
    stages = config.get("stages", {})
    if stage not in stages:
        raise ConfigError(f".chalice/config.json has no stage {stage!r}")
    functions = stages[stage].get("lambda_functions", {})
    return {
        name: value["event_source"]
        for name, value in functions.items()
        if isinstance(value, Mapping) and "event_source" in value
    }


def _check(function: str, kind: str, block: Mapping[str, Any]) -> None:
    """Run the local runtime's parser; decorator values are irrelevant to the check."""
    if kind == "kinesis":
        parse_kinesis_settings(
            function,
            batch_size=100,
            maximum_batching_window_in_seconds=0,
            starting_position="TRIM_HORIZON",
            event_source=block,
        )
    elif kind == "sqs":
        parse_sqs_settings(
            function,
            batch_size=10,
            maximum_batching_window_in_seconds=0,
            fifo=False,
            maximum_concurrency=None,
            event_source=block,
        )
    else:
        parse_async_settings(function, block, (60.0, 120.0))


def _subscription(function: str, block: Mapping[str, Any]) -> dict[str, Any]:
    found = {key: block[key] for key in SUBSCRIPTION_KEYS if key in block}
    policy = found.get("FilterPolicy")
    if policy is not None and not isinstance(policy, Mapping):
        raise ConfigError(f"{function}: FilterPolicy must be a JSON object")
    scope = found.get("FilterPolicyScope")
    if scope is not None and scope not in ("MessageAttributes", "MessageBody"):
        raise ConfigError(f"{function}: FilterPolicyScope must be MessageAttributes or MessageBody")
    return found


def declared_settings(
    config: Mapping[str, Any], stage: str, kinds: Mapping[str, str]
) -> list[Declared]:
    """Every declared block of ``stage``; ``kinds`` maps each function to its event source.

    A block for a function that has no event source (or does not exist) is an error:
    a typo there would otherwise leave a safety net silently unapplied.
    """
    found = []
    for function, block in sorted(_blocks(config, stage).items()):
        if not isinstance(block, Mapping):
            raise ConfigError(f"{function}: event_source must be a JSON object")
        kind = kinds.get(function)
        if kind is None:
            raise ConfigError(
                f"{function}: stage {stage!r} declares an event_source but the app has no "
                "such event handler"
            )
        subscription = _subscription(function, block) if kind == "sns" else {}
        settings = {k: v for k, v in block.items() if k not in subscription}
        _check(function, kind, settings)
        found.append(Declared(function, kind, settings, subscription))
    return found
