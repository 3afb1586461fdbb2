"""The Chalice app: registers blueprints and middleware, nothing else."""

from __future__ import annotations

from chalice import Chalice

from chalicelib.api import feed, followers, health, notifications, posts
from chalicelib.api.errors import json_errors, unknown_paths
from chalicelib.api.limits import size_limits
from chalicelib.config import routes as config_routes
from chalicelib.events import add_to_feed, archiver, dispatcher, notifier, retry_worker
from chalicelib.observability.middleware import http_correlation, invocation_logging
from chalicelib.shortener import routes as shortener

# configure_logs=False: logging is Powertools' JSON logger (chalicelib.observability);
# Chalice would otherwise set the logger of the same name to ERROR.
app = Chalice(app_name="yubl-fanout", configure_logs=False)

# the first registered is the outermost: the invocation is logged around everything
app.register_middleware(invocation_logging, "all")
app.register_middleware(http_correlation, "http")
app.register_middleware(json_errors, "http")
app.register_middleware(size_limits, "http")

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
):
    app.register_blueprint(blueprint)

# last: 404 for the paths no blueprint above has (the framework would answer 403)
app.register_blueprint(unknown_paths(app.routes))
