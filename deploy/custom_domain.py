"""A stage's custom domain (Chalice's ``api_gateway_custom_domain``), mapped at its root.

Chalice makes the domain and its base path mapping (``chalice deploy``, ``chalice
package``); this module adds what the app needs around them:

- the shortener serves ``/{code}`` and ``/apple-app-site-association`` at the domain's
  root, so a ``url_prefix`` other than ``/`` is refused;
- the short links it makes, and the hosts it refuses to shorten (its own), are the
  domain's whatever host a request came in on: ``SHORTENER_BASE_URL`` is derived from
  the domain (written into the stage's environment by ``make deploy``, merged into every
  function by ``make package``), never declared a second time;
- in the packaged template the mapping waits for the API's stage (Chalice's SAM output
  omits that dependency, aws/chalice#1735: the mapping can fail with "Invalid stage
  identifier specified"), and the stack outputs the name to point the domain's DNS at.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from local_runtime.config import ConfigError

__all__ = ["custom_domain", "domain_merge", "domain_settings"]

_DOMAIN_ID = "ApiGatewayCustomDomain"  # Chalice's logical ids in the SAM template
_MAPPING_ID = "ApiGatewayCustomDomainMapping"
_ROOT = ("/", "(none)")


def _stage_value(config: Mapping[str, Any], stage: str, key: str, default: Any) -> Any:
    return config.get("stages", {}).get(stage, {}).get(key, config.get(key, default))


def custom_domain(config: Mapping[str, Any], stage: str) -> str | None:
    """The stage's custom domain name, checked; None when it declares none."""
    declared = _stage_value(config, stage, "api_gateway_custom_domain", None)
    if declared is None:
        return None
    where = f"stage {stage}: api_gateway_custom_domain"
    if not isinstance(declared, Mapping):
        raise ConfigError(f"{where} must be a JSON object")
    for key in ("domain_name", "certificate_arn"):
        if not isinstance(declared.get(key), str) or not declared[key]:
            raise ConfigError(f"{where} needs {key}")
    if declared.get("url_prefix", "/") not in _ROOT:
        raise ConfigError(
            f"{where}: url_prefix must be '/' (or absent): the shortener serves /{{code}} and "
            "/apple-app-site-association at the domain's root"
        )
    return str(declared["domain_name"]).lower().rstrip(".")


def domain_settings(config: Mapping[str, Any], stage: str) -> dict[str, str]:
    """Environment settings that follow from the stage's custom domain (none without one)."""
    domain = custom_domain(config, stage)
    return {"SHORTENER_BASE_URL": f"https://{domain}"} if domain else {}


def domain_merge(config: Mapping[str, Any], stage: str, sam: Mapping[str, Any]) -> dict[str, Any]:
    """Merge-template resources and outputs for the stage's custom domain."""
    settings = domain_settings(config, stage)
    resources = sam.get("Resources", {})
    if not settings or _MAPPING_ID not in resources:
        return {}
    merged: dict[str, Any] = {
        logical_id: {"Properties": {"Environment": {"Variables": settings}}}
        for logical_id, resource in resources.items()
        if resource.get("Type") == "AWS::Serverless::Function"
    }
    api_stage = _stage_value(config, stage, "api_gateway_stage", "api")
    # SAM names the stage of AWS::Serverless::Api "RestAPI" + "<stage, alphanumerics>Stage"
    stage_id = "RestAPI" + re.sub("[^A-Za-z0-9]", "", api_stage) + "Stage"
    merged[_MAPPING_ID] = {"DependsOn": [stage_id]}
    edge = _stage_value(config, stage, "api_gateway_endpoint_type", "EDGE") == "EDGE"
    target = "DistributionDomainName" if edge else "RegionalDomainName"
    outputs = {
        "AliasDomainName": {
            "Description": "Point the custom domain's DNS (an alias or CNAME record) here",
            "Value": {"Fn::GetAtt": [_DOMAIN_ID, target]},
        }
    }
    return {"Resources": merged, "Outputs": outputs}
