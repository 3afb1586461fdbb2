"""The Chalice app: registers blueprints and middleware, nothing else."""

from __future__ import annotations

from chalice import Chalice

from chalicelib.api import feed, followers, health, posts
from chalicelib.events import add_to_feed, dispatcher, retry_worker
from chalicelib.identity.cors import add_preflight_routes, cors_headers
from chalicelib.identity.middleware import authentication
from chalicelib.identity.pre_sign_up import bp as pre_sign_up
from chalicelib.observability.middleware import http_correlation, invocation_logging

# configure_logs=False: logging is Powertools' JSON logger (chalicelib.observability);
# Chalice would otherwise set the logger of the same name to ERROR.
app = Chalice(app_name="yubl-fanout", configure_logs=False)

# the first registered is the outermost: the invocation is logged around everything
app.register_middleware(invocation_logging, "all")
app.register_middleware(http_correlation, "http")
# CORS outside sign-in, so a browser can read a 401 too; routes read per request
app.register_middleware(cors_headers, "http")
app.register_middleware(authentication(app.routes), "http")

for blueprint in (
    health.bp,
    posts.bp,
    followers.bp,
    feed.bp,
    dispatcher.bp,
    add_to_feed.bp,
    retry_worker.bp,
    pre_sign_up,
):
    app.register_blueprint(blueprint)

# last: an OPTIONS route answering the CORS preflight for every path registered above
add_preflight_routes(app)
