"""Every route of the app is a user route (sign-in required) or on the public list."""

from __future__ import annotations

import json

import pytest

from tests.chalice_app import load_app
from tests.unit.test_architecture import ROOT

# routes that take no token, each for a reason: liveness, a public list, CORS preflights
PUBLIC = {
    ("GET", "/health"),
    ("GET", "/users/{user_id}/followers"),
    ("GET", "/users/{user_id}/yubls"),
    ("GET", "/users/{user_id}"),  # the public profile
    # the whole shortener: its page, link creation, redirects, stats, app-site association
    ("GET", "/"),
    ("POST", "/"),
    ("GET", "/{code}"),
    ("HEAD", "/{code}"),
    ("GET", "/links/{code}"),
    ("GET", "/links/{code}/qr.svg"),
    ("GET", "/apple-app-site-association"),
    ("GET", "/.well-known/apple-app-site-association"),
    # the config API: its own scoped API keys (x-api-key), not user tokens
    ("GET", "/config"),
    ("GET", "/config/{key}"),
    ("PUT", "/config/{key}"),
    ("DELETE", "/config/{key}"),
    ("GET", "/config/{key}/history"),
    ("POST", "/config/{key}/rollback"),
}
USER_ROUTES = {
    ("POST", "/yubls"): (),
    ("PUT", "/users/{user_id}/followers/{follower_id}"): ("follower_id",),
    ("DELETE", "/users/{user_id}/followers/{follower_id}"): ("follower_id", "user_id"),
    ("GET", "/users/{user_id}/feed"): ("user_id",),
    ("GET", "/users/{user_id}/notifications"): ("user_id",),
    ("GET", "/users/{user_id}/following"): ("user_id",),
    ("DELETE", "/users/{user_id}/yubls/{yubl_id}"): ("user_id",),
    ("PUT", "/users/{user_id}/mutes/{author_id}"): ("user_id",),
    ("DELETE", "/users/{user_id}/mutes/{author_id}"): ("user_id",),
    ("GET", "/users/{user_id}/mutes"): ("user_id",),
    ("DELETE", "/users/{user_id}"): ("user_id",),
    ("POST", "/users/{user_id}/exports"): ("user_id",),
    ("GET", "/users/{user_id}/exports/{export_id}"): ("user_id",),
}


@pytest.fixture(scope="module")
def routes():
    """The app's routes, imported with the local stage's variables as Chalice sets them."""
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    env = {**config["environment_variables"], **config["stages"]["local"]["environment_variables"]}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        return _load_routes()


def _load_routes():
    """(METHOD, path) -> view function, without api.errors.unknown_paths' catch-alls (404
    for the paths no route has, 405 for the methods they lack: public, like a gateway's)."""
    return {
        (method, path): entry.view_function
        for path, methods in load_app().routes.items()
        for method, entry in methods.items()
        if not entry.view_name.startswith("unknown_path_")
    }


def test_every_route_is_a_user_route_or_listed_public(routes):
    marked = {
        key: view.__user_route__ for key, view in routes.items() if hasattr(view, "__user_route__")
    }
    unmarked = {key for key in routes if key not in marked and key[0] != "OPTIONS"}
    assert (marked, unmarked) == (USER_ROUTES, PUBLIC)


def test_every_path_answers_the_cors_preflight(routes):
    paths = {path for _, path in routes}
    assert {path for method, path in routes if method == "OPTIONS"} == paths
