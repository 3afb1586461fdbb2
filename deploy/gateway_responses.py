"""API Gateway's own errors in the API's one error body, ``{"error": "<message>"}``.

API Gateway answers some requests itself (an unknown path as 403 "Missing
Authentication Token", a body too large, a media type no method takes, its own 5xx);
its gateway responses reshape those. Set by ``make package`` as
``AWS::ApiGateway::GatewayResponse`` resources of the merge template and by
``make deploy`` with PutGatewayResponse (then a new deployment of the stage, without
which a changed gateway response does not take effect). Only what differs is written.
"""

from __future__ import annotations

from typing import Any

__all__ = ["GATEWAY_RESPONSES", "apply_gateway_responses", "gateway_response_resources"]

_FROM_GATEWAY = '{"error": $context.error.messageString}'
_JSON = "application/json"

GATEWAY_RESPONSES: dict[str, tuple[str | None, str]] = {
    "DEFAULT_4XX": (None, _FROM_GATEWAY),
    "DEFAULT_5XX": (None, _FROM_GATEWAY),
    "MISSING_AUTHENTICATION_TOKEN": ("404", '{"error": "path: no route for this method and path"}'),
    "UNSUPPORTED_MEDIA_TYPE": (
        "415",
        '{"error": "Content-Type: is not accepted; send application/json"}',
    ),
    "REQUEST_TOO_LARGE": ("413", '{"error": "body: is larger than the limit"}'),
}
"""Response type -> (status, or None to keep the gateway's; JSON body template)."""


def _resource_id(response_type: str) -> str:
    return "GatewayResponse" + "".join(part.title() for part in response_type.split("_"))


def gateway_response_resources(rest_api: str = "RestAPI") -> dict[str, Any]:
    """The merge template's resources: one GatewayResponse per entry of GATEWAY_RESPONSES."""
    resources = {}
    for response_type, (status, template) in GATEWAY_RESPONSES.items():
        properties: dict[str, Any] = {
            "RestApiId": {"Ref": rest_api},
            "ResponseType": response_type,
            "ResponseTemplates": {_JSON: template},
        }
        if status is not None:
            properties["StatusCode"] = status
        resources[_resource_id(response_type)] = {
            "Type": "AWS::ApiGateway::GatewayResponse",
            "Properties": properties,
        }
    return resources


def apply_gateway_responses(apigateway: Any, rest_api_id: str, stage_name: str) -> list[str]:
    """Put every gateway response that differs, then redeploy the stage if any did."""
    changes = []
    for response_type, (status, template) in GATEWAY_RESPONSES.items():
        try:
            current = apigateway.get_gateway_response(
                restApiId=rest_api_id, responseType=response_type
            )
        except apigateway.exceptions.NotFoundException:  # AWS answers the default; moto this
            current = {}
        wanted_status = status or current.get("statusCode")
        if (
            current.get("responseTemplates", {}).get(_JSON) == template
            and current.get("statusCode") == wanted_status
        ):
            continue
        kwargs: dict[str, Any] = {"statusCode": status} if status else {}
        apigateway.put_gateway_response(
            restApiId=rest_api_id,
            responseType=response_type,
            responseTemplates={_JSON: template},
            **kwargs,
        )
        changes.append(f"gateway response {response_type}: the JSON error body")
    if changes:
        apigateway.create_deployment(restApiId=rest_api_id, stageName=stage_name)
    return changes
