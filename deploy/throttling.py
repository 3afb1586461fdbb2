"""API Gateway throttling per stage: ``stages.<stage>.api_gateway_throttling`` in config.json.

Chalice has no setting for it, so it is declared next to the stage's other settings as
``{"rate_limit": <requests a second>, "burst_limit": <requests>}`` and applied to every
method of the stage: by the merge template (``MethodSettings``) when packaging, by
``UpdateStage`` after ``chalice deploy``. Only a value that differs is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from local_runtime.config import ConfigError

__all__ = ["apply_throttling", "method_settings", "stage_throttling"]


def stage_throttling(config: Mapping[str, Any], stage: str) -> tuple[float, int] | None:
    """(rate limit, burst limit) declared for ``stage``, or None."""
    given = config.get("stages", {}).get(stage, {}).get("api_gateway_throttling")
    if given is None:
        return None
    if not isinstance(given, Mapping) or set(given) != {"rate_limit", "burst_limit"}:
        raise ConfigError(
            f"stage {stage}: api_gateway_throttling must be {{'rate_limit': n, 'burst_limit': n}}"
        )
    rate, burst = given["rate_limit"], given["burst_limit"]
    if isinstance(rate, bool) or not isinstance(rate, int | float) or rate <= 0:
        raise ConfigError(f"stage {stage}: rate_limit must be a number > 0, got {rate!r}")
    if isinstance(burst, bool) or not isinstance(burst, int) or burst <= 0:
        raise ConfigError(f"stage {stage}: burst_limit must be an integer > 0, got {burst!r}")
    return float(rate), burst


def method_settings(rate: float, burst: int) -> list[dict[str, Any]]:
    """SAM ``AWS::Serverless::Api`` MethodSettings applying the limits to every method."""
    return [
        {
            "ResourcePath": "/*",
            "HttpMethod": "*",
            "ThrottlingRateLimit": rate,
            "ThrottlingBurstLimit": burst,
        }
    ]


def apply_throttling(
    apigateway: Any, rest_api_id: str, stage_name: str, rate: float, burst: int
) -> list[str]:
    """Set the stage's default method throttling unless it already has these values."""
    stage = apigateway.get_stage(restApiId=rest_api_id, stageName=stage_name)
    current = stage.get("methodSettings", {}).get("*/*", {})
    if (current.get("throttlingRateLimit"), current.get("throttlingBurstLimit")) == (rate, burst):
        return []
    apigateway.update_stage(
        restApiId=rest_api_id,
        stageName=stage_name,
        patchOperations=[
            {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": str(rate)},
            {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": str(burst)},
        ],
    )
    return [f"API stage {stage_name}: throttling {rate:g}/s, burst {burst}"]
