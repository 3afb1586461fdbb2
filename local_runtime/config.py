"""Event-source settings that Chalice's decorators cannot express, validated like Lambda.

They live in ``.chalice/config.json`` at
``stages.<stage>.lambda_functions.<function>.event_source`` with the names and ranges of
Lambda's CreateEventSourceMapping (streams, queues) and PutFunctionEventInvokeConfig
(asynchronous invocation, used for SNS). A value Lambda would refuse is refused here,
at start, with a message naming the function and the key.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = [
    "AsyncSettings",
    "ConfigError",
    "KinesisSettings",
    "SqsSettings",
    "parse_async_settings",
    "parse_kinesis_settings",
    "parse_reserved_concurrency",
    "parse_retry_delays",
    "parse_sqs_settings",
]

SIX_MB = 6 * 1024 * 1024


class ConfigError(ValueError):
    """A setting Lambda would refuse; raised before any poller starts."""


@dataclass(frozen=True)
class KinesisSettings:
    """One Kinesis event source mapping: the decorator's values plus config.json's."""

    batch_size: int = 100
    maximum_batching_window_in_seconds: float = 0
    starting_position: str = "LATEST"
    starting_position_timestamp: float | None = None
    maximum_retry_attempts: int = -1
    maximum_record_age_in_seconds: int = -1
    bisect_batch_on_function_error: bool = False
    on_failure_destination: str | None = None
    report_batch_item_failures: bool = False
    parallelization_factor: int = 1
    tumbling_window_in_seconds: int = 0
    filter_patterns: tuple[Mapping[str, Any], ...] = ()
    enabled: bool = True


@dataclass(frozen=True)
class SqsSettings:
    """One SQS event source mapping."""

    batch_size: int = 10
    maximum_batching_window_in_seconds: float = 0
    report_batch_item_failures: bool = False
    filter_patterns: tuple[Mapping[str, Any], ...] = ()
    enabled: bool = True
    maximum_concurrency: int | None = None


@dataclass(frozen=True)
class AsyncSettings:
    """Asynchronous invocation of one function (SNS delivers this way)."""

    maximum_retry_attempts: int = 2
    maximum_event_age_in_seconds: int = 21600
    on_failure_destination: str | None = None
    on_success_destination: str | None = None
    retry_delays: tuple[float, ...] = field(default=(60.0, 120.0))
    filter_policy: str | None = None  # the subscription's FilterPolicy, as JSON text
    filter_policy_scope: str = "MessageAttributes"


_COMMON_KEYS = {"FilterCriteria", "Enabled", "FunctionResponseTypes"}
_KINESIS_KEYS = _COMMON_KEYS | {
    "BisectBatchOnFunctionError",
    "MaximumRetryAttempts",
    "MaximumRecordAgeInSeconds",
    "DestinationConfig",
    "ParallelizationFactor",
    "TumblingWindowInSeconds",
    "StartingPositionTimestamp",
}
_SQS_KEYS = _COMMON_KEYS | {"ScalingConfig"}
_ASYNC_KEYS = {
    "MaximumRetryAttempts",
    "MaximumEventAgeInSeconds",
    "DestinationConfig",
    "FilterPolicy",
    "FilterPolicyScope",
}
_DECORATOR_KEYS = {"BatchSize", "MaximumBatchingWindowInSeconds", "StartingPosition"}


def _check_keys(function: str, given: Mapping[str, Any], allowed: set[str], kind: str) -> None:
    if not isinstance(given, Mapping):
        raise ConfigError(f"{function}: event_source must be a JSON object")
    for key in given:
        if key in _DECORATOR_KEYS:
            raise ConfigError(
                f"{function}: event_source.{key} is set by the Chalice decorator; "
                "set it there so there is one source of truth"
            )
        if key not in allowed:
            raise ConfigError(
                f"{function}: event_source.{key} is not a setting for {kind} "
                f"(allowed: {', '.join(sorted(allowed))})"
            )


def _int_in(
    function: str, key: str, value: Any, low: int, high: int, *, minus_one: bool = False
) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{function}: {key} must be an integer, got {value!r}")
    if minus_one and value == -1:
        return value
    if not low <= value <= high:
        extra = "-1 or " if minus_one else ""
        raise ConfigError(f"{function}: {key} must be {extra}{low}..{high}, got {value}")
    return value


def _bool(function: str, key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{function}: {key} must be true or false, got {value!r}")
    return value


def _destination(function: str, config: Any, which: str = "OnFailure") -> str | None:
    if config is None:
        return None
    if not isinstance(config, Mapping):
        raise ConfigError(f"{function}: DestinationConfig must be an object")
    unknown = set(config) - {"OnFailure", "OnSuccess"}
    if unknown:
        raise ConfigError(f"{function}: DestinationConfig has unknown keys {sorted(unknown)}")
    target = config.get(which)
    if target is None:
        return None
    dest = target.get("Destination") if isinstance(target, Mapping) else None
    if not isinstance(dest, str) or not dest:
        raise ConfigError(
            f"{function}: DestinationConfig.{which}.Destination must be an SQS or SNS ARN or name"
        )
    if dest.startswith("arn:") and dest.split(":")[2:3] not in (["sqs"], ["sns"]):
        raise ConfigError(
            f"{function}: DestinationConfig.{which}.Destination must be an SQS queue or SNS "
            f"topic, got {dest}"
        )
    return dest


def _response_types(function: str, value: Any) -> bool:
    if value is None:
        return False
    if not isinstance(value, list) or any(v != "ReportBatchItemFailures" for v in value):
        raise ConfigError(
            f'{function}: FunctionResponseTypes must be [] or ["ReportBatchItemFailures"], '
            f"got {value!r}"
        )
    return bool(value)


def _filters(function: str, value: Any) -> tuple[Mapping[str, Any], ...]:
    if value is None:
        return ()
    filters = value.get("Filters") if isinstance(value, Mapping) else None
    if not isinstance(filters, list):
        raise ConfigError(f"{function}: FilterCriteria must be {{'Filters': [...]}}")
    if len(filters) > 5:
        raise ConfigError(f"{function}: FilterCriteria allows at most 5 filters")
    patterns = []
    for item in filters:
        raw = item.get("Pattern") if isinstance(item, Mapping) else None
        if not isinstance(raw, str):
            raise ConfigError(f"{function}: each filter needs a Pattern string")
        try:
            pattern = json.loads(raw)
        except ValueError as err:
            raise ConfigError(f"{function}: filter Pattern is not JSON: {err}") from None
        if not isinstance(pattern, dict):
            raise ConfigError(f"{function}: filter Pattern must be a JSON object")
        patterns.append(pattern)
    return tuple(patterns)


def _timestamp(function: str, value: Any) -> float:
    if isinstance(value, bool):
        raise ConfigError(f"{function}: StartingPositionTimestamp must be a time")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            pass
    raise ConfigError(
        f"{function}: StartingPositionTimestamp must be epoch seconds or an ISO 8601 time, "
        f"got {value!r}"
    )


def parse_kinesis_settings(
    function: str,
    *,
    batch_size: int,
    maximum_batching_window_in_seconds: float,
    starting_position: str,
    event_source: Mapping[str, Any] | None,
) -> KinesisSettings:
    """Merge the decorator's values with ``event_source`` and check Lambda's ranges."""
    given = dict(event_source or {})
    _check_keys(function, given, _KINESIS_KEYS, "Kinesis mappings")
    _int_in(function, "BatchSize", batch_size, 1, 10000)
    window = maximum_batching_window_in_seconds
    if isinstance(window, bool) or not isinstance(window, int | float) or not 0 <= window <= 300:
        raise ConfigError(f"{function}: MaximumBatchingWindowInSeconds must be 0..300")
    if starting_position not in ("LATEST", "TRIM_HORIZON", "AT_TIMESTAMP"):
        raise ConfigError(
            f"{function}: StartingPosition must be LATEST, TRIM_HORIZON or AT_TIMESTAMP, "
            f"got {starting_position!r}"
        )
    timestamp = None
    if "StartingPositionTimestamp" in given:
        timestamp = _timestamp(function, given["StartingPositionTimestamp"])
    if starting_position == "AT_TIMESTAMP" and timestamp is None:
        raise ConfigError(f"{function}: AT_TIMESTAMP needs event_source.StartingPositionTimestamp")
    return KinesisSettings(
        batch_size=batch_size,
        maximum_batching_window_in_seconds=window,
        starting_position=starting_position,
        starting_position_timestamp=timestamp,
        maximum_retry_attempts=_int_in(
            function,
            "MaximumRetryAttempts",
            given.get("MaximumRetryAttempts", -1),
            0,
            10000,
            minus_one=True,
        ),
        maximum_record_age_in_seconds=_int_in(
            function,
            "MaximumRecordAgeInSeconds",
            given.get("MaximumRecordAgeInSeconds", -1),
            60,
            604800,
            minus_one=True,
        ),
        bisect_batch_on_function_error=_bool(
            function, "BisectBatchOnFunctionError", given.get("BisectBatchOnFunctionError", False)
        ),
        on_failure_destination=_destination(function, given.get("DestinationConfig")),
        report_batch_item_failures=_response_types(function, given.get("FunctionResponseTypes")),
        parallelization_factor=_int_in(
            function, "ParallelizationFactor", given.get("ParallelizationFactor", 1), 1, 10
        ),
        tumbling_window_in_seconds=_int_in(
            function, "TumblingWindowInSeconds", given.get("TumblingWindowInSeconds", 0), 0, 900
        ),
        filter_patterns=_filters(function, given.get("FilterCriteria")),
        enabled=_bool(function, "Enabled", given.get("Enabled", True)),
    )


def parse_sqs_settings(
    function: str,
    *,
    batch_size: int,
    maximum_batching_window_in_seconds: float,
    fifo: bool,
    maximum_concurrency: int | None,
    event_source: Mapping[str, Any] | None,
) -> SqsSettings:
    """Merge the decorator's values with ``event_source`` and check Lambda's ranges."""
    given = dict(event_source or {})
    _check_keys(function, given, _SQS_KEYS, "SQS mappings")
    window = maximum_batching_window_in_seconds
    if isinstance(window, bool) or not isinstance(window, int | float) or not 0 <= window <= 300:
        raise ConfigError(f"{function}: MaximumBatchingWindowInSeconds must be 0..300")
    high = 10 if fifo or window == 0 else 10000
    _int_in(function, "BatchSize", batch_size, 1, high)
    scaling = given.get("ScalingConfig")
    if scaling is not None:
        if not isinstance(scaling, Mapping) or set(scaling) - {"MaximumConcurrency"}:
            raise ConfigError(f"{function}: ScalingConfig must be {{'MaximumConcurrency': n}}")
        maximum_concurrency = scaling.get("MaximumConcurrency")
    if maximum_concurrency is not None:
        _int_in(function, "MaximumConcurrency", maximum_concurrency, 2, 1000)
    return SqsSettings(
        batch_size=batch_size,
        maximum_batching_window_in_seconds=window,
        report_batch_item_failures=_response_types(function, given.get("FunctionResponseTypes")),
        filter_patterns=_filters(function, given.get("FilterCriteria")),
        enabled=_bool(function, "Enabled", given.get("Enabled", True)),
        maximum_concurrency=maximum_concurrency,
    )


def parse_async_settings(
    function: str, event_source: Mapping[str, Any] | None, retry_delays: tuple[float, ...]
) -> AsyncSettings:
    """The asynchronous-invocation settings (PutFunctionEventInvokeConfig's names)."""
    given = dict(event_source or {})
    _check_keys(function, given, _ASYNC_KEYS, "SNS (asynchronous invocation)")
    destinations = given.get("DestinationConfig")
    return AsyncSettings(
        maximum_retry_attempts=_int_in(
            function, "MaximumRetryAttempts", given.get("MaximumRetryAttempts", 2), 0, 2
        ),
        maximum_event_age_in_seconds=_int_in(
            function,
            "MaximumEventAgeInSeconds",
            given.get("MaximumEventAgeInSeconds", 21600),
            60,
            21600,
        ),
        on_failure_destination=_destination(function, destinations, "OnFailure"),
        on_success_destination=_destination(function, destinations, "OnSuccess"),
        retry_delays=retry_delays,
        filter_policy=_filter_policy(function, given.get("FilterPolicy")),
        filter_policy_scope=_filter_policy_scope(function, given.get("FilterPolicyScope")),
    )


def _filter_policy(function: str, value: Any) -> str | None:
    """An SNS subscription filter policy: a JSON object, given as one or as its text."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as err:
            raise ConfigError(f"{function}: FilterPolicy is not JSON: {err}") from None
    if not isinstance(value, Mapping) or not value:
        raise ConfigError(f"{function}: FilterPolicy must be a non-empty JSON object")
    for key, rule in value.items():
        if not isinstance(rule, list | Mapping):
            raise ConfigError(
                f"{function}: FilterPolicy.{key} must be a list of values or an object"
            )
    return json.dumps(value, separators=(",", ":"))


def _filter_policy_scope(function: str, value: Any) -> str:
    if value is None:
        return "MessageAttributes"
    if value not in ("MessageAttributes", "MessageBody"):
        raise ConfigError(
            f"{function}: FilterPolicyScope must be MessageAttributes or MessageBody, got {value!r}"
        )
    return str(value)


def parse_retry_delays(raw: str) -> tuple[float, ...]:
    """``LOCAL_RUNTIME_ASYNC_RETRY_DELAYS``: comma-separated seconds before each retry."""
    try:
        delays = tuple(float(part) for part in raw.split(",") if part.strip())
    except ValueError:
        raise ConfigError(
            f"LOCAL_RUNTIME_ASYNC_RETRY_DELAYS must be seconds, got {raw!r}"
        ) from None
    if not delays or any(d < 0 for d in delays):
        raise ConfigError(f"LOCAL_RUNTIME_ASYNC_RETRY_DELAYS must be seconds >= 0, got {raw!r}")
    return delays


def parse_reserved_concurrency(function: str, value: Any) -> int | None:
    """A function's ``reserved_concurrency`` (Chalice's key for Lambda's
    ReservedConcurrentExecutions): None when unset. 0 (every invocation throttled, the
    events kept by Lambda for up to 6 hours) has no local equivalent and is refused."""
    if value is None:
        return None
    return _int_in(function, "reserved_concurrency", value, 1, 1000)
