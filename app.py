"""The Chalice app: registers blueprints and middleware, nothing else."""

from __future__ import annotations

from chalice import Chalice

from chalicelib.api import feed, followers, health, posts
from chalicelib.events import add_to_feed, dispatcher, retry_worker

app = Chalice(app_name="yubl-fanout")

for blueprint in (
    health.bp,
    posts.bp,
    followers.bp,
    feed.bp,
    dispatcher.bp,
    add_to_feed.bp,
    retry_worker.bp,
):
    app.register_blueprint(blueprint)
