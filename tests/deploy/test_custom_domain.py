"""A stage's custom domain: mapped at the root in the package, the shortener's base URL.

The declaring stage is conftest's variant of dev (a temporary copy of the project).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from deploy.custom_domain import domain_settings
from deploy.stage import write_stage_settings
from local_runtime.config import ConfigError
from tests.deploy.conftest import PROJECT_DIR, VARIANT_SETTINGS

DOMAIN = VARIANT_SETTINGS["api_gateway_custom_domain"]


def _sam(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "sam.json").read_text())  # type: ignore[no-any-return]


def test_the_package_maps_the_domain_to_the_api_at_its_root(packaged_variant):
    resources = _sam(packaged_variant)["Resources"]
    domain = resources["ApiGatewayCustomDomain"]
    assert domain["Type"] == "AWS::ApiGateway::DomainName"
    assert domain["Properties"]["DomainName"] == DOMAIN["domain_name"] == "go.example.com"
    assert domain["Properties"]["CertificateArn"] == DOMAIN["certificate_arn"]
    assert domain["Properties"]["EndpointConfiguration"] == {"Types": ["EDGE"]}
    mapping = resources["ApiGatewayCustomDomainMapping"]
    assert mapping["Type"] == "AWS::ApiGateway::BasePathMapping"
    # "(none)": no base path, so /{code} and /apple-app-site-association are at the root
    assert mapping["Properties"] == {
        "DomainName": {"Ref": "ApiGatewayCustomDomain"},
        "RestApiId": {"Ref": "RestAPI"},
        "BasePath": "(none)",
        "Stage": "api",
    }
    # the stage SAM makes for RestAPI exists before the mapping (aws/chalice#1735)
    assert mapping["DependsOn"] == ["RestAPIapiStage"]
    outputs = _sam(packaged_variant)["Outputs"]
    assert outputs["AliasDomainName"]["Value"] == {
        "Fn::GetAtt": ["ApiGatewayCustomDomain", "DistributionDomainName"]
    }


def test_every_packaged_function_makes_short_links_on_the_domain(packaged_variant):
    functions = {
        name: resource["Properties"]["Environment"]["Variables"]
        for name, resource in _sam(packaged_variant)["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }
    assert "APIHandler" in functions
    for name, variables in functions.items():
        assert variables["SHORTENER_BASE_URL"] == "https://go.example.com", name
        assert variables["STAGE"] == "dev", name  # the stage's own variables are all still there


def test_a_stage_without_a_domain_has_none_in_its_package(packaged):
    resources = _sam(packaged["dev"])["Resources"]
    assert "ApiGatewayCustomDomain" not in resources
    variables = resources["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert "SHORTENER_BASE_URL" not in variables


def test_make_deploy_writes_the_domains_base_url_into_the_stage(tmp_path):
    # GIVEN a copy of the config whose dev stage declares a custom domain
    (tmp_path / ".chalice").mkdir()
    shutil.copy(PROJECT_DIR / ".chalice" / "config.json", tmp_path / ".chalice" / "config.json")
    path = tmp_path / ".chalice" / "config.json"
    config = json.loads(path.read_text())
    config["stages"]["dev"]["api_gateway_custom_domain"] = {
        **DOMAIN,
        "domain_name": "Go.Example.com.",
    }
    path.write_text(json.dumps(config))
    # WHEN make deploy's step 2 writes the stage's settings
    changed = write_stage_settings(tmp_path, "dev", {})
    # THEN the shortener's base URL is the domain's, and a second run changes nothing
    assert changed == {"SHORTENER_BASE_URL": "https://go.example.com"}
    env = json.loads(path.read_text())["stages"]["dev"]["environment_variables"]
    assert env["SHORTENER_BASE_URL"] == "https://go.example.com"
    assert write_stage_settings(tmp_path, "dev", {}) == {}


@pytest.mark.parametrize(
    ("declared", "error"),
    [
        ({**DOMAIN, "url_prefix": "links"}, "url_prefix must be '/'"),
        ({"domain_name": "go.example.com"}, "needs certificate_arn"),
        ("go.example.com", "must be a JSON object"),
    ],
)
def test_a_domain_the_shortener_cannot_serve_from_is_refused(config, declared, error):
    changed = {**config, "stages": {"dev": {"api_gateway_custom_domain": declared}}}
    with pytest.raises(ConfigError, match=error):
        domain_settings(changed, "dev")


def test_a_root_url_prefix_is_accepted(config):
    for prefix in ("/", "(none)"):
        changed = {
            "stages": {"dev": {"api_gateway_custom_domain": {**DOMAIN, "url_prefix": prefix}}}
        }
        assert domain_settings(changed, "dev") == {"SHORTENER_BASE_URL": "https://go.example.com"}
