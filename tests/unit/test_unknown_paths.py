"""Unknown paths answer 404 in the API's error shape, beside whatever routes an app has."""

from __future__ import annotations

import json
from pathlib import Path

from chalice import Chalice
from chalice.test import Client

from chalicelib.api.errors import json_errors, unknown_paths


def _app_with_a_root_variable() -> Chalice:
    """Routes shaped like the URL shortener's: a root page and a root-level ``{code}``."""
    app = Chalice(app_name="unknown-paths")
    app.register_middleware(json_errors, "http")

    @app.route("/", methods=["GET"])
    def index() -> dict[str, str]:
        return {"page": "index"}

    @app.route("/{code}", methods=["GET"])
    def follow(code: str) -> dict[str, str]:
        return {"code": code}

    @app.route("/links/{code}", methods=["GET"])
    def link(code: str) -> dict[str, str]:
        return {"link": code}

    app.register_blueprint(unknown_paths(app.routes, max_segments=3))
    return app


def test_catch_alls_reuse_the_apps_variable_names_and_skip_its_paths() -> None:
    # GIVEN an app with '/', '/{code}' and '/links/{code}'
    # WHEN the unknown-path routes are added
    app = _app_with_a_root_variable()
    # THEN no sibling variables differ in name (API Gateway refuses that), the app's own
    # '/' is left alone, and its '/{code}' keeps its view for GET and gains the others
    assert sorted(app.routes) == [
        "/",
        "/links/{code}",
        "/{code}",
        "/{code}/{segment2}",
        "/{code}/{segment2}/{segment3}",
    ]
    assert list(app.routes["/"]) == ["GET"]
    views = {method: entry.view_name for method, entry in app.routes["/{code}"].items()}
    assert views == {
        "GET": "follow",
        **{m: "unknown_path_1_methods" for m in ["POST", "PUT", "DELETE", "PATCH", "HEAD"]},
    }


def test_unknown_paths_are_404_and_known_ones_reach_their_view(tmp_path: Path) -> None:
    # GIVEN that app
    with Client(_app_with_a_root_variable(), project_dir=str(tmp_path)) as client:
        # WHEN known and unknown paths are asked for
        answers = {
            path: (response.status_code, json.loads(response.body))
            for path in ["/", "/abc", "/links/x", "/links/x/y", "/a/b"]
            for response in [client.http.get(path)]
        }
        deleted = client.http.delete("/abc")
        mistyped = client.http.post("/yubl", body=b"a=1", headers={"Content-Type": "text/plain"})
        wrong = client.http.put("/")
    # THEN each known path reaches its view, each unknown one is 404 naming the path
    assert answers == {
        "/": (200, {"page": "index"}),
        "/abc": (200, {"code": "abc"}),
        "/links/x": (200, {"link": "x"}),
        "/links/x/y": (404, {"error": "path: no route for GET /links/x/y"}),
        "/a/b": (404, {"error": "path: no route for GET /a/b"}),
    }
    # AND a method the app's own '/{code}' lacks is 405 naming the path as sent, whatever
    # the body, with the methods it has
    answers = [
        (r.status_code, json.loads(r.body), r.headers.get("Allow")) for r in (deleted, mistyped)
    ]
    assert answers == [
        (405, {"error": "method: DELETE is not allowed on /abc"}, "GET, OPTIONS"),
        (405, {"error": "method: POST is not allowed on /yubl"}, "GET, OPTIONS"),
    ]
    # AND a literal path's missing method stays the framework's 405, which names it
    assert (wrong.status_code, json.loads(wrong.body)) == (
        405,
        {"error": "method: PUT is not allowed on / (allowed: GET)"},
    )
