"""API Gateway's own errors get the JSON error body: in the package and after a deploy."""

from __future__ import annotations

import json

import boto3
import pytest

from deploy.gateway_responses import apply_gateway_responses

from .conftest import PACKAGED_STAGES

WANTED = {
    "DEFAULT_4XX": (None, '{"error": $context.error.messageString}'),
    "DEFAULT_5XX": (None, '{"error": $context.error.messageString}'),
    "MISSING_AUTHENTICATION_TOKEN": ("404", '{"error": "path: no route for this method and path"}'),
    "UNSUPPORTED_MEDIA_TYPE": (
        "415",
        '{"error": "Content-Type: is not accepted; send application/json"}',
    ),
    "REQUEST_TOO_LARGE": ("413", '{"error": "body: is larger than the limit"}'),
}


@pytest.mark.parametrize("stage", PACKAGED_STAGES)
def test_the_package_sets_each_gateway_response_on_the_rest_api(packaged, stage):
    resources = json.loads((packaged[stage] / "sam.json").read_text())["Resources"]
    found = {
        props["ResponseType"]: (props.get("StatusCode"), props["ResponseTemplates"])
        for resource in resources.values()
        if resource["Type"] == "AWS::ApiGateway::GatewayResponse"
        for props in [resource["Properties"]]
        if props["RestApiId"] == {"Ref": "RestAPI"}
    }
    assert found == {
        kind: (status, {"application/json": body}) for kind, (status, body) in WANTED.items()
    }
    for _, body in WANTED.values():  # each template is JSON once the variable is filled in
        assert isinstance(json.loads(body.replace("$context.error.messageString", '"m"')), dict)


@pytest.mark.emulator
def test_deploy_puts_every_gateway_response_once_and_redeploys(emulator_endpoint):
    apigateway = boto3.client("apigateway")
    api = apigateway.create_rest_api(name="gateway-responses")["id"]
    root = apigateway.get_resources(restApiId=api)["items"][0]["id"]
    apigateway.put_method(
        restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE"
    )
    apigateway.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK")
    apigateway.create_deployment(restApiId=api, stageName="api")

    changes = apply_gateway_responses(apigateway, api, "api")

    assert sorted(changes) == sorted(
        f"gateway response {kind}: the JSON error body" for kind in WANTED
    )
    for kind, (status, body) in WANTED.items():
        response = apigateway.get_gateway_response(restApiId=api, responseType=kind)
        assert response["responseTemplates"] == {"application/json": body}
        if status:
            assert response["statusCode"] == status
    assert len(apigateway.get_deployments(restApiId=api)["items"]) == 2
    # a second deploy finds nothing to change and does not redeploy
    assert apply_gateway_responses(apigateway, api, "api") == []
    assert len(apigateway.get_deployments(restApiId=api)["items"]) == 2
