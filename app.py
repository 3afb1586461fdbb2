"""The Chalice app: registers blueprints and middleware, nothing else."""

from __future__ import annotations

from chalice import Chalice

from chalicelib.api import (
    accounts,
    feed,
    followers,
    health,
    mutes,
    notifications,
    posts,
    user_posts,
)
from chalicelib.api.errors import json_errors, unknown_paths
from chalicelib.api.limits import size_limits
from chalicelib.config import routes as config_routes
from chalicelib.events import (
    account_deleter,
    add_to_feed,
    archiver,
    dispatcher,
    exporter,
    notifier,
    range_worker,
    retry_worker,
)
from chalicelib.identity.cors import add_preflight_routes, cors_headers
from chalicelib.identity.middleware import authentication
from chalicelib.identity.post_confirmation import bp as post_confirmation
from chalicelib.identity.pre_sign_up import bp as pre_sign_up
from chalicelib.observability.middleware import http_correlation, invocation_logging
from chalicelib.shortener import routes as shortener

# configure_logs=False: logging is Powertools' JSON logger (chalicelib.observability);
# Chalice would otherwise set the logger of the same name to ERROR.
app = Chalice(app_name="yubl-fanout", configure_logs=False)

# the first registered is the outermost: the invocation is logged around everything
app.register_middleware(invocation_logging, "all")
app.register_middleware(http_correlation, "http")
app.register_middleware(json_errors, "http")
# CORS outside sign-in, so a browser can read a 401 too; routes read per request
app.register_middleware(cors_headers, "http")
app.register_middleware(size_limits, "http")  # before sign-in: a huge request is refused unread
# a deleted account's valid token is refused (within ACCOUNT_STATUS_CACHE_SECONDS)
app.register_middleware(authentication(app.routes, admits=accounts.admits), "http")

for blueprint in (
    health.bp,
    posts.bp,
    followers.bp,
    feed.bp,
    dispatcher.bp,
    add_to_feed.bp,
    retry_worker.bp,
    shortener.bp,  # public: '/', '/{code}', '/links/...', apple-app-site-association
    config_routes.bp,
    notifications.bp,
    notifier.bp,
    archiver.bp,
    user_posts.bp,
    mutes.bp,
    pre_sign_up,
    post_confirmation,
    range_worker.bp,
    accounts.bp,
    account_deleter.bp,
    exporter.bp,
):
    app.register_blueprint(blueprint)

# then: 404 for the paths no blueprint above has (the framework would answer 403)
app.register_blueprint(unknown_paths(app.routes))

# last: an OPTIONS route answering the CORS preflight for every path registered above
add_preflight_routes(app)
