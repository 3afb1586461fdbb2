"""Per stage, the /config routes can require API Gateway API keys and IAM on writes.

Chalice reads route arguments at import time, so each case imports the routes in a
fresh interpreter with the stage's variables set.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from devstack.stack import PROJECT_DIR

PROBE = """
import json
from chalice import Chalice
from chalicelib.config import routes
app = Chalice("probe")
app.register_blueprint(routes.bp)
print(json.dumps(sorted(
    [path, method, entry.api_key_required, type(entry.authorizer).__name__]
    for path, methods in app.routes.items() for method, entry in methods.items()
)))
"""


def _routes(**flags: str) -> list[list]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONFIG_")}
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=PROJECT_DIR,
        env={**env, **flags},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(done.stdout)


ROUTES = [
    ["/config", "GET"],
    ["/config/{key}", "DELETE"],
    ["/config/{key}", "GET"],
    ["/config/{key}", "PUT"],
    ["/config/{key}/history", "GET"],
    ["/config/{key}/rollback", "POST"],
]
WRITES = {("/config/{key}", "DELETE"), ("/config/{key}", "PUT"), ("/config/{key}/rollback", "POST")}


@pytest.mark.parametrize(("keys", "iam"), [("false", "false"), ("true", "true")])
def test_gateway_api_keys_on_every_route_and_iam_on_the_writes(keys, iam):
    got = _routes(CONFIG_GATEWAY_API_KEYS=keys, CONFIG_IAM_AUTH_ON_WRITES=iam)
    expected = [
        [
            path,
            method,
            keys == "true",
            "IAMAuthorizer" if iam == "true" and (path, method) in WRITES else "NoneType",
        ]
        for path, method in ROUTES
    ]
    assert got == expected
