"""openapi.yaml describes exactly the app's routes: each path and method, both ways."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from devstack.stack import PROJECT_DIR
from tests.chalice_app import load_app

DOCUMENT = PROJECT_DIR / "openapi.yaml"
METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}
USER_ROUTES = {
    ("/yubls", "POST"),
    ("/users/{user_id}/followers/{follower_id}", "PUT"),
    ("/users/{user_id}/followers/{follower_id}", "DELETE"),
    ("/users/{user_id}/feed", "GET"),
    ("/users/{user_id}/notifications", "GET"),
    ("/users/{user_id}/following", "GET"),
    ("/users/{user_id}/yubls/{yubl_id}", "DELETE"),
    ("/users/{user_id}/mutes/{author_id}", "PUT"),
    ("/users/{user_id}/mutes/{author_id}", "DELETE"),
    ("/users/{user_id}/mutes", "GET"),
    ("/users/{user_id}", "DELETE"),
    ("/users/{user_id}/exports", "POST"),
    ("/users/{user_id}/exports/{export_id}", "GET"),
}


def _document() -> dict:
    return yaml.safe_load(DOCUMENT.read_text())


@pytest.fixture(scope="module")
def app() -> Any:
    """The project's app, imported under the local stage's environment."""
    config = json.loads((PROJECT_DIR / ".chalice" / "config.json").read_text())
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {
            **config["environment_variables"],
            **config["stages"]["local"]["environment_variables"],
        }.items():
            patch.setenv(name, value)
        return load_app()


def _app_operations(app: Any) -> dict[tuple[str, str], str]:
    """(path, METHOD) -> view name, without the catch-alls that answer unknown paths and
    methods (404, 405: api.errors.unknown_paths) and the CORS preflights (OPTIONS on
    every path, identity.cors)."""
    return {
        (path, method): entry.view_name
        for path, methods in app.routes.items()
        for method, entry in methods.items()
        if not entry.view_name.startswith("unknown_path_") and method != "OPTIONS"
    }


def _documented() -> dict[tuple[str, str], dict]:
    return {
        (path, method.upper()): operation
        for path, item in _document()["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }


def test_every_route_of_the_app_is_documented_and_nothing_else(app):
    assert sorted(_documented()) == sorted(_app_operations(app))


def test_each_operation_id_is_the_view_that_serves_it(app):
    ids = {key: operation["operationId"] for key, operation in _documented().items()}
    assert ids == _app_operations(app)


def test_user_routes_need_a_bearer_token_and_config_routes_an_api_key(app):
    schemes = _document()["components"]["securitySchemes"]
    assert schemes["userToken"] == {**schemes["userToken"], "type": "http", "scheme": "bearer"}
    secured = {
        key: [name for requirement in op.get("security", []) for name in requirement]
        for key, op in _documented().items()
    }
    assert {key for key, names in secured.items() if names == ["userToken"]} == USER_ROUTES
    config = {key for key in _app_operations(app) if key[0].startswith("/config")}
    assert {key for key, names in secured.items() if names == ["configKey"]} == config


def test_every_error_response_is_the_json_error_body():
    for key, operation in _documented().items():
        for status, response in operation["responses"].items():
            if key[1] == "HEAD":
                assert "content" not in response, (key, status)  # a HEAD answer has no body
            elif str(status)[0] in "45":
                ref = response.get("$ref") or response["content"]["application/json"]["schema"]
                assert "Error" in str(ref), (key, status)
